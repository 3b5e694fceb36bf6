"""Serves the JupyterLab 3.6 front end in test/lab/build with Debian's jupyterlab_server
(LabServerApp on jupyter_server 1.23; the app is declared in test/helpers/lab_app.py):

    /usr/bin/python3 test/lab/main.py --port=N --ServerApp.token=T --ServerApp.root_dir=DIR ...

The application lives at <base>lab; a notebook opens at <base>lab/tree/<path>.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "helpers"))
from lab_app import lab_server_app  # noqa: E402

TestLabApp = lab_server_app(
    __name__, class_name="TestLabApp", build=os.path.join(HERE, "build"), templates=os.path.join(HERE, "templates"),
    url="/lab", app_name="JupyterLab 3.6 (dawn-rfb tests)", app_version="3.6.8")


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": TestLabApp}]


if __name__ == "__main__":
    TestLabApp.launch_instance()

"""Serves the JupyterLab 4 front end in test/lab4/build with Debian's jupyterlab_server
(LabServerApp on jupyter_server 1.23), after JupyterLab's own examples/app:

    /usr/bin/python3 test/lab4/main.py --port=N --ServerApp.token=T --ServerApp.root_dir=DIR ...

The application lives at <base>lab; a notebook opens at <base>lab/tree/<path>.
"""
import os

from jupyterlab_server import LabServerApp

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
# Configuration files on disk must not change this app.
os.environ.setdefault("JUPYTER_NO_CONFIG", "1")


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": TestLabApp}]


class TestLabApp(LabServerApp):
    name = __name__
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False
    app_name = "JupyterLab 4 (dawn-rfb tests)"
    app_version = "4.6.4"
    app_url = "/lab"
    app_settings_dir = os.path.join(BUILD, "application_settings")
    schemas_dir = os.path.join(BUILD, "schemas")
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "templates")
    themes_dir = os.path.join(BUILD, "themes")
    user_settings_dir = os.path.join(BUILD, "user_settings")
    workspaces_dir = os.path.join(BUILD, "workspaces")


if __name__ == "__main__":
    TestLabApp.launch_instance()

"""Serves the Notebook 7 notebook page in test/lab4/build/notebook7 with Debian's jupyterlab_server
(LabServerApp on jupyter_server 1.23; the app is declared in test/helpers/lab_app.py). Notebook 7's
own server package (`notebook` 7) is not in Debian 12; this is the part of it the tests need: a
notebook opens at <base>notebooks/<path>.

    /usr/bin/python3 test/lab4/notebook.py --port=N --ServerApp.token=T --ServerApp.root_dir=DIR ...
"""
import os
import sys

from jupyterlab_server.handlers import LabHandler
from tornado import web

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "helpers"))
from lab_app import lab_server_app  # noqa: E402


class NotebookPageHandler(LabHandler):
    """The notebook page: Lab's page config (URLs, token, settings) plus the notebook's path."""

    @web.authenticated
    def get(self, path):
        page_config = dict(self.get_page_config())
        page_config["treePath"] = path
        page_config["mode"] = "multiple-document"
        self.write(self.render_template("index.html", page_config=page_config))


TestNotebookApp = lab_server_app(
    __name__, class_name="TestNotebookApp", build=os.path.join(HERE, "build", "notebook7"),
    templates=os.path.join(HERE, "notebook-templates"), url="/notebooks",
    app_name="Jupyter Notebook 7 (dawn-rfb tests)", app_version="7.6.2",
    handlers=[(r"/notebooks/(.+\.ipynb)", NotebookPageHandler)])


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": TestNotebookApp}]


if __name__ == "__main__":
    TestNotebookApp.launch_instance()

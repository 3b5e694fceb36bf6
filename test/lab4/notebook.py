"""Serves the Notebook 7 notebook page in test/lab4/build/notebook7 with Debian's jupyterlab_server
(LabServerApp on jupyter_server 1.23). Notebook 7's own server package (`notebook` 7) is not in
Debian 12; this is the part of it the tests need: a notebook opens at <base>notebooks/<path>.

    /usr/bin/python3 test/lab4/notebook.py --port=N --ServerApp.token=T --ServerApp.root_dir=DIR ...
"""
import os

from jupyterlab_server import LabServerApp
from jupyterlab_server.handlers import LabHandler
from tornado import web

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build", "notebook7")
# Configuration files on disk must not change this app.
os.environ.setdefault("JUPYTER_NO_CONFIG", "1")


class NotebookPageHandler(LabHandler):
    """The notebook page: Lab's page config (URLs, token, settings) plus the notebook's path."""

    @web.authenticated
    def get(self, path):
        page_config = dict(self.get_page_config())
        page_config["treePath"] = path
        page_config["mode"] = "multiple-document"
        self.write(self.render_template("index.html", page_config=page_config))


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": TestNotebookApp}]


class TestNotebookApp(LabServerApp):
    name = __name__
    extension_url = "/notebooks"
    default_url = "/notebooks"
    load_other_extensions = False
    app_name = "Jupyter Notebook 7 (dawn-rfb tests)"
    app_version = "7.6.2"
    app_url = "/notebooks"
    app_settings_dir = os.path.join(BUILD, "application_settings")
    schemas_dir = os.path.join(BUILD, "schemas")
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "notebook-templates")
    themes_dir = os.path.join(BUILD, "themes")
    user_settings_dir = os.path.join(BUILD, "user_settings")
    workspaces_dir = os.path.join(BUILD, "workspaces")

    def initialize_handlers(self):
        super().initialize_handlers()
        # Before Lab's own fallthrough for <app_url>/.* (its "not found" page).
        self.handlers.insert(0, (r"/notebooks/(.+\.ipynb)", NotebookPageHandler))


if __name__ == "__main__":
    TestNotebookApp.launch_instance()

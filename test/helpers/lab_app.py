"""The LabServerApp of the tests' front ends, declared once: test/lab/main.py (JupyterLab 3.6),
test/lab4/main.py (JupyterLab 4) and test/lab4/notebook.py (Notebook 7's notebook page) each
serve a build of theirs with Debian's jupyterlab_server (on jupyter_server 1.23), after
JupyterLab's own examples/app, and differ only in the build, the templates, the names and the URL.

jupyter_server finds an extension app by its class's module: it enables the package named by
`__module__` and calls that module's `_jupyter_server_extension_points()`. So the class made here
takes the calling script's module (`__main__` when run as a script) as its own, and the script
keeps `_jupyter_server_extension_points` returning it; `name` is that module's name too, as it
was in each script (it names the app's static URL, which the templates' page config carries).
"""
import os

from jupyterlab_server import LabServerApp

# Configuration files on disk must not change these apps (read when the server starts).
os.environ.setdefault("JUPYTER_NO_CONFIG", "1")


def lab_server_app(module, *, class_name, build, templates, url, app_name, app_version, handlers=()):
    """A LabServerApp subclass serving `build` at `url` with the Jinja `templates`, as a class of
    the module named `module`. `handlers` (pattern, handler class) come before Lab's own
    fallthrough for <url>/.* (its "not found" page)."""
    first_handlers = list(handlers)

    def initialize_handlers(self):
        LabServerApp.initialize_handlers(self)
        self.handlers[0:0] = first_handlers

    return type(class_name, (LabServerApp,), {
        "__module__": module,
        "__doc__": f"{app_name}: {build} at {url}.",
        "name": module,
        "extension_url": url,
        "default_url": url,
        "load_other_extensions": False,
        "app_name": app_name,
        "app_version": app_version,
        "app_url": url,
        "app_settings_dir": os.path.join(build, "application_settings"),
        "schemas_dir": os.path.join(build, "schemas"),
        "static_dir": build,
        "templates_dir": templates,
        "themes_dir": os.path.join(build, "themes"),
        "user_settings_dir": os.path.join(build, "user_settings"),
        "workspaces_dir": os.path.join(build, "workspaces"),
        "initialize_handlers": initialize_handlers,
    })

// A JupyterLab 4 application with the plugins a notebook needs, after JupyterLab's own
// examples/app: enough to open a notebook, run its cells and render trusted HTML output. The
// JupyterLab object builds its own ServiceManager (kernels, sessions, contents, settings).
require('./build/style.js');

window.addEventListener('load', async () => {
  const { JupyterLab } = require('@jupyterlab/application');
  const mods = [
    require('@jupyterlab/application-extension'),
    require('@jupyterlab/apputils-extension'),
    require('@jupyterlab/codemirror-extension'),
    require('@jupyterlab/completer-extension'),
    require('@jupyterlab/docmanager-extension'),
    require('@jupyterlab/filebrowser-extension'),
    require('@jupyterlab/mainmenu-extension'),
    require('@jupyterlab/markedparser-extension'),
    require('@jupyterlab/notebook-extension'),
    require('@jupyterlab/rendermime-extension'),
    require('@jupyterlab/theme-light-extension'),
    require('@jupyterlab/translation-extension'),
    require('@jupyterlab/ui-components-extension'),
    require('@jupyterlab/javascript-extension'),
  ];
  const lab = new JupyterLab();
  lab.registerPluginModules(mods);
  await lab.start();
  await lab.restored;
  // For the test: the application (commands, shell) and a flag that it is up.
  window.lab = lab;
  document.body.dataset.labReady = 'true';
});

// A Notebook 7 notebook page (what Notebook 7 serves at /notebooks/<path>), assembled from the
// @jupyter-notebook/* plugin packages on npm and the JupyterLab 4 plugins a notebook needs: the
// notebook's own application shell (NotebookApp), menus and notebook plugins first, then the
// JupyterLab plugins that do not provide what those already provide (Notebook 7's own app leaves
// those out the same way: its shell, router paths, document opener and rendermime replace Lab's).
// No tree page, terminal, console or file editor: the tests open one notebook.
require('./build/notebook7/style.js');

window.addEventListener('load', async () => {
  const { NotebookApp } = require('@jupyter-notebook/application');
  const own = [
    require('@jupyter-notebook/application-extension'),
    require('@jupyter-notebook/notebook-extension'),
    require('@jupyter-notebook/docmanager-extension'),
  ];
  const lab = [
    require('@jupyterlab/application-extension'),
    require('@jupyterlab/apputils-extension'),
    require('@jupyterlab/codemirror-extension'),
    require('@jupyterlab/completer-extension'),
    require('@jupyterlab/docmanager-extension'),
    require('@jupyterlab/mainmenu-extension'),
    require('@jupyterlab/markedparser-extension'),
    require('@jupyterlab/notebook-extension'),
    require('@jupyterlab/rendermime-extension'),
    require('@jupyterlab/theme-light-extension'),
    require('@jupyterlab/translation-extension'),
    require('@jupyterlab/ui-components-extension'),
    require('@jupyterlab/javascript-extension'),
  ];
  const plugins = (m) => { const d = m.default ?? m; return Array.isArray(d) ? d : [d]; };
  const mods = own.flatMap(plugins);
  const provided = new Set(mods.map((p) => p.provides?.name).filter(Boolean));
  const ownNames = new Set(mods.map((p) => p.id.split(':')[1]));
  for (const p of lab.flatMap(plugins)) {
    // Skipped: what Notebook's plugins provide already, and Lab's application plugins Notebook
    // replaces by its own of the same name (shell, paths, status, dirty, ...).
    if (p.provides && provided.has(p.provides.name)) continue;
    if (p.id.startsWith('@jupyterlab/application-extension:') && ownNames.has(p.id.split(':')[1])) continue;
    mods.push(p);
  }
  const app = new NotebookApp({ mimeExtensions: [] });
  app.registerPlugins(mods);
  await app.start();
  await app.restored;
  // For the test: the application (commands, shell) and a flag that it is up, as in index.js.
  window.lab = app;
  document.body.dataset.labReady = 'true';
});

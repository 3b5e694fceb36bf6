// Builds test/lab4/build (the JupyterLab 4 application, index.js) and test/lab4/build/notebook7
// (a Notebook 7 notebook page, notebook.js): for each, the bundle, the plugins' settings schemas
// (Build.ensureAssets, as JupyterLab's examples/app does) and the light theme's CSS where the
// theme manager loads it. As test/lab/webpack.config.js (JupyterLab 3.6), plus one rule:
// JupyterLab 4's packages are ES modules whose imports leave out the file extension
// ('./icon.styles'), which webpack 5 refuses in "type": "module" code unless fullySpecified is off.
const fs = require('fs');
const path = require('path');
const { Build } = require('@jupyterlab/builder');

const deps = Object.keys(require('./package.json').dependencies);
const labNames = deps.filter((n) => n.startsWith('@jupyterlab/') && (n.endsWith('-extension') || n === '@jupyterlab/application'));
const notebookNames = [...labNames, ...deps.filter((n) => n.startsWith('@jupyter-notebook/'))];

/** Schemas, style imports (build/style.js) and the light theme for the plugins of `names`, in `output`. */
function assets(names, output) {
  Build.ensureAssets({ packageNames: names, output });
  const theme = path.join(output, 'themes', '@jupyterlab', 'theme-light-extension');
  fs.cpSync(path.dirname(require.resolve('@jupyterlab/theme-light-extension/style/theme.css')), theme, { recursive: true });
  fs.copyFileSync(path.join(theme, 'theme.css'), path.join(theme, 'index.css'));
}

/** The webpack configuration of one page: `entry` bundled into `output`/bundle.js. */
function page(entry, output) {
  return {
    mode: 'development',
    entry,
    output: { path: output, filename: 'bundle.js', publicPath: 'auto' },
    bail: true,
    devtool: false,
    module: {
      rules: [
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
        { test: /\.html$/, type: 'asset/source' },
        { test: /\.md$/, type: 'asset/source' },
        { test: /\.(jpg|png|gif)$/, type: 'asset/resource' },
        { test: /\.js.map$/, type: 'asset/resource' },
        { test: /\.(woff2?|ttf|eot)(\?v=\d+\.\d+\.\d+)?$/, type: 'asset/resource' },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.css$/, type: 'asset/inline' },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.js$/, type: 'asset/source' },
      ],
    },
    resolve: { fallback: { url: false, buffer: false, crypto: false, path: false, process: false } },
  };
}

const build = path.resolve(__dirname, 'build');
const notebookBuild = path.join(build, 'notebook7');
assets(labNames, build);
assets(notebookNames, notebookBuild);
module.exports = [page('./index.js', build), page('./notebook.js', notebookBuild)];

// Builds test/lab4/build: the bundle, the plugins' settings schemas (Build.ensureAssets, as
// JupyterLab's examples/app does) and the light theme's CSS where the theme manager loads it.
// As test/lab/webpack.config.js (JupyterLab 3.6), plus one rule: JupyterLab 4's packages are ES
// modules whose imports leave out the file extension ('./icon.styles'), which webpack 5 refuses
// in .mjs / "type": "module" code unless fullySpecified is off.
const fs = require('fs');
const path = require('path');
const { Build } = require('@jupyterlab/builder');

const build = path.resolve(__dirname, 'build');
const names = Object.keys(require('./package.json').dependencies).filter((n) => n.endsWith('-extension') || n === '@jupyterlab/application');
Build.ensureAssets({ packageNames: names, output: build });
const theme = path.join(build, 'themes', '@jupyterlab', 'theme-light-extension');
fs.cpSync(path.dirname(require.resolve('@jupyterlab/theme-light-extension/style/theme.css')), theme, { recursive: true });
fs.copyFileSync(path.join(theme, 'theme.css'), path.join(theme, 'index.css'));

module.exports = {
  mode: 'development',
  entry: './index.js',
  output: { path: build, filename: 'bundle.js', publicPath: 'auto' },
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

// The standalone page a canvas is viewed on outside Jupyter (`dawn-rfb demo`, `canvas.getUrl()`).
// Same origin as the websocket, so the page derives the socket URL from its own location.
import { escapeHtml } from '../html.js';
import { socketPath } from '../protocol.js';

/** HTML of the page that shows one canvas. */
export function standalonePage(canvasId: string, token: string, title: string): string {
  const path = JSON.stringify(socketPath(canvasId, token));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { margin: 0; padding: 16px; font: 14px system-ui, sans-serif; background: #f4f4f6; color: #222; }
  p { margin: 0 0 12px; color: #555; }
</style>
</head>
<body>
<p>${escapeHtml(title)}</p>
<div id="view"></div>
<script src="/widget.js"></script>
<script>
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  window.dawnRfbView = DawnRfb.mount(document.getElementById('view'), { urls: [proto + '//' + location.host + ${path}] });
</script>
</body>
</html>
`;
}

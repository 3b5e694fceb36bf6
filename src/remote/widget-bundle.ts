// The browser widget's bundle (widget/dist/widget.js, built by scripts/build-widget.mjs). The
// server serves it to standalone pages and notebook outputs inline it; both read it from here.
import { readFileSync } from 'node:fs';

let widgetBundle: string | undefined;

/** The widget bundle's source, read once. Throws (ENOENT) when it was not built: run `npm run build`. */
export function widgetScript(): string {
  widgetBundle ??= readFileSync(new URL('../../widget/dist/widget.js', import.meta.url), 'utf8');
  return widgetBundle;
}

// The HTML report a person opens: per notebook and cell, expected | actual | diff, the counts, the
// cell's source, tracebacks. Images are files beside it (relative links), so it opens from disk.
import type { CellResult, ImageResult, NotebookResult, TestSummary } from './types.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d1d1f; background: #fafafa; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #555; margin-bottom: 16px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; vertical-align: middle; }
.passed, .written, .updated, .removed, .skipped { background: #1a7f37; } .skipped, .not-run { background: #6e7781; }
.failed, .missing, .error, .unmatched, .unreadable { background: #cf222e; }
.hints { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 6px 12px; }
.cell { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: 10px 0; padding: 10px 12px; }
.cell.bad { border-color: #cf222e; box-shadow: 0 0 0 1px #cf222e inset; }
pre { background: #f6f8fa; padding: 8px; overflow: auto; max-height: 240px; margin: 6px 0; font-size: 12px; }
pre.tb { background: #fff1f0; color: #82071e; }
.images { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; margin: 8px 0; }
figure { margin: 0; } figcaption { font-size: 12px; color: #555; }
figure img { border: 1px solid #d0d7de; image-rendering: pixelated; max-width: 420px; background: repeating-conic-gradient(#eee 0 25%, #fff 0 50%) 0 0/16px 16px; }
.detail { font-family: ui-monospace, monospace; font-size: 12px; }
details summary { cursor: pointer; color: #555; }
table.counts td { padding: 0 12px 0 0; }
`;

function badge(status: string): string {
  return `<span class="badge ${esc(status)}">${esc(status)}</span>`;
}

function figure(label: string, src: string | undefined): string {
  return src ? `<figure><figcaption>${esc(label)}</figcaption><a href="${esc(src)}"><img src="${esc(src)}" alt="${esc(label)}"></a></figure>` : '';
}

function imageHtml(i: ImageResult): string {
  const a = i.artifacts;
  return `<div class="image"><div>${badge(i.status)} <b>${esc(i.name)}</b> (${i.output < 0 ? 'no output' : `output ${i.output}`}${i.frozen ? ', after freeze()' : ''})
  <span class="detail">${esc(i.detail)}</span></div>
  <div class="detail">baseline: ${esc(i.baseline)}</div>
  <div class="images">${figure('expected (baseline)', a.expected)}${figure('actual', a.actual)}${figure('diff', a.diff)}</div></div>`;
}

function cellHtml(c: CellResult): string {
  const bad = c.status === 'failed' || c.status === 'error';
  const text = c.text
    ? `<div>${badge(c.text.status)} text output${c.text.ok ? '' : ' differs'}</div>${c.text.expected !== undefined && !c.text.ok ? `<div class="images"><figure><figcaption>expected text</figcaption><pre>${esc(c.text.expected)}</pre></figure><figure><figcaption>actual text</figcaption><pre>${esc(c.text.actual)}</pre></figure></div>` : ''}`
    : '';
  return `<div class="cell${bad ? ' bad' : ''}" id="cell-${c.index}">
  <div>${badge(c.status)} <b>cell ${c.index}</b>${c.executionCount !== null ? ` [${c.executionCount}]` : ''} <span class="meta">${c.seconds.toFixed(2)} s</span></div>
  <details${bad ? ' open' : ''}><summary>source</summary><pre>${esc(c.source)}</pre></details>
  ${c.error ? `<div><b>${esc(c.error.message.split('\n')[0]!)}</b></div><pre class="tb">${esc(c.error.traceback || c.error.message)}</pre>` : ''}
  ${c.images.map(imageHtml).join('\n')}
  ${text}
</div>`;
}

function notebookHtml(n: NotebookResult): string {
  return `<section id="${esc(n.name)}"><h2>${badge(n.ok ? 'passed' : 'failed')} ${esc(n.notebook)} <span class="meta">${n.seconds.toFixed(1)} s</span></h2>
${n.error ? `<pre class="tb">${esc(n.error)}</pre>` : ''}
${n.cells.map(cellHtml).join('\n')}
${n.unmatched?.length ? `<div class="cell bad"><b>baselines of cells that are gone</b>${n.unmatched.map(imageHtml).join('\n')}</div>` : ''}</section>`;
}

/** The report page. */
export function htmlReport(s: TestSummary, when: Date): string {
  const c = s.counts;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dawn-rfb test-notebooks: ${s.ok ? 'passed' : 'FAILED'}</title><style>${STYLE}</style></head>
<body><h1>${badge(s.ok ? 'passed' : 'failed')} dawn-rfb test-notebooks</h1>
<div class="meta">${esc(when.toISOString())} · adapter class <b>${esc(s.adapterClass)}</b> · update mode <b>${esc(s.updateMode)}</b>${s.text ? ' · text compared' : ''}</div>
<table class="counts"><tr><td>notebooks: ${c.notebooks - c.failedNotebooks} passed, ${c.failedNotebooks} failed</td>
<td>cells: ${c.cells - c.failedCells} ok, ${c.failedCells} failed</td><td>images: ${c.images - c.failedImages} ok, ${c.failedImages} failed${c.written ? `, ${c.written} baselines written` : ''}${c.removed ? `, ${c.removed} removed` : ''}</td>${s.text ? `<td>texts failed: ${c.failedTexts}</td>` : ''}</tr></table>
${s.hints.length ? `<div class="hints">${s.hints.map((h) => `<div>${esc(h)}</div>`).join('')}</div>` : ''}
<ul>${s.notebooks.map((n) => `<li>${badge(n.ok ? 'passed' : 'failed')} <a href="#${esc(n.name)}">${esc(n.notebook)}</a></li>`).join('')}</ul>
${s.notebooks.map(notebookHtml).join('\n')}
</body></html>
`;
}

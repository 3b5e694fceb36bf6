// Which outputs are canvases and what text a cell printed.
import type { Output } from '../kernel/client.js';

/** A canvas output of a cell: its position and PNG. */
export interface CanvasOutput {
  /** Index among the cell's outputs. */
  output: number;
  /** Index among the cell's canvas outputs. */
  ordinal: number;
  png: Buffer;
  /** Whether freeze() replaced its snapshot after it was shown. */
  frozen: boolean;
}

const text = (v: unknown): string => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '');

function isCanvas(o: Output): boolean {
  if (o.output_type !== 'display_data' && o.output_type !== 'execute_result') return false;
  return typeof o.data['image/png'] === 'string'
    && (text(o.data['text/plain']).startsWith('RemoteCanvas') || text(o.data['text/html']).includes('dawn-rfb-output'));
}

/** The dawn-rfb canvas outputs (display_data with image/png from RemoteCanvas) among outputs. */
export function canvasOutputs(outputs: readonly Output[]): CanvasOutput[] {
  const found: CanvasOutput[] = [];
  outputs.forEach((o, i) => {
    if (!isCanvas(o)) return;
    const data = (o as { data: Record<string, unknown> }).data;
    found.push({
      output: i, ordinal: found.length, png: Buffer.from(text(data['image/png']).replace(/\s+/g, ''), 'base64'),
      frozen: o.output_type === 'display_data' && o.updated === true,
    });
  });
  return found;
}

/** The text a cell printed: stdout, and text/plain of results that are not canvases. */
export function cellText(outputs: readonly Output[]): string {
  let out = '';
  for (const o of outputs) {
    if (o.output_type === 'stream' && o.name === 'stdout') out += o.text;
    else if ((o.output_type === 'execute_result' || o.output_type === 'display_data') && !isCanvas(o)) out += `${text(o.data['text/plain'])}\n`;
  }
  return out;
}

/** What a raising cell reported: the error outputs' tracebacks, else (tslab) its stderr. */
export function cellTraceback(outputs: readonly Output[]): string {
  const errors = outputs.filter((o) => o.output_type === 'error');
  if (errors.length > 0) {
    // eslint-disable-next-line no-control-regex
    return errors.map((e) => [`${e.ename}: ${e.evalue}`, ...e.traceback].join('\n')).join('\n').replace(/\u001b\[[0-9;]*m/g, '');
  }
  return outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => (o as { text: string }).text).join('')
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '');
}

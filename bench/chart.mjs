// The benchmark's chart: painted frames per second per run (bars, by client), and the input
// latency distribution per run (p50 bar, whiskers to p95 and p99, log scale), drawn as SVG and
// rendered to PNG with sharp (librsvg), so no charting dependency is needed. Its text is drawn as
// SVG paths from a bitmap font of its own (bench/font/glyphs.mjs), not as <text>: on a machine
// without fonts or fontconfig (the GPU machine) librsvg draws every <text> glyph as a box.
import sharp from 'sharp';
import { FONT } from './font/glyphs.mjs';

const COLORS = { node: '#4878b0', chromium: '#e07b39' };

/** The path data of one glyph's ink at pen position `pen` (font units), row runs as rectangles. */
function glyphPath(g, pen) {
  let d = '';
  g.rows.forEach((bits, y) => {
    for (let x = 0; bits > 0; x++, bits = Math.floor(bits / 2)) {
      if (bits % 2 === 0) continue;
      let run = 1;
      while (Math.floor(bits / 2) % 2 === 1) { run++; bits = Math.floor(bits / 2); x++; }
      d += `M${pen + x - run + 1} ${y}h${run}v1h-${run}z`;
    }
  });
  return d;
}

/**
 * `str` as one SVG path at (x, y), y being the baseline as for <text>: `size` in px (default 12),
 * `anchor` start | middle | end, `bold`, `fill`. Characters the font lacks draw as "?".
 */
function text(x, y, str, { size = 12, anchor = 'start', bold = false, fill = '#000' } = {}) {
  const glyphs = FONT[bold ? 'bold' : 'normal'];
  let pen = 0;
  let d = '';
  for (const c of String(str)) {
    const g = glyphs[c] ?? glyphs['?'];
    d += glyphPath(g, pen);
    pen += g.advance;
  }
  const scale = size / FONT.size;
  const x0 = anchor === 'middle' ? x - (pen * scale) / 2 : anchor === 'end' ? x - pen * scale : x;
  const r = (v) => Math.round(v * 100) / 100;
  return `<path transform="translate(${r(x0)} ${r(y - FONT.baseline * scale)}) scale(${r(scale)})" fill="${fill}" d="${d}"/>`;
}

/** PNG of the chart of `records` (those with an fps and latency); `subtitle` names the machine. */
export async function renderChart(records, subtitle) {
  return sharp(Buffer.from(chartSvg(records, subtitle))).png().toBuffer();
}

/** The chart's SVG (what renderChart renders): no <text>, every label a path. */
export function chartSvg(records, subtitle) {
  const rows = records.filter((r) => typeof r.fps === 'number' && r.latency && !r.kind);
  const rowH = 22;
  const top = 64;
  const labelW = 380;
  const panelW = 360;
  const gap = 40;
  const width = labelW + 2 * panelW + gap + 140;
  const height = top + rows.length * rowH + 50;
  const rawMax = Math.max(10, ...rows.map((r) => r.fps));
  const step = [10, 20, 25, 50, 100, 200, 250, 500].find((s) => rawMax / s <= 5) ?? 1000;
  const maxFps = Math.ceil((rawMax * 1.05) / step) * step;
  const maxLat = Math.max(10, ...rows.map((r) => r.latency.p99 ?? 0));
  const fx = (fps) => labelW + (fps / maxFps) * panelW;
  const lx0 = labelW + panelW + gap;
  const lmin = 1;
  const lmax = 10 ** Math.ceil(Math.log10(maxLat));
  const lx = (ms) => lx0 + (Math.log10(Math.max(lmin, ms)) / Math.log10(lmax)) * panelW;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(text(10, 20, 'dawn-rfb whole-pipeline benchmark', { size: 15, bold: true }));
  const loads = rows.flatMap((r) => r.load ?? []);
  const load = loads.length > 0 ? `; load average ${Math.min(...loads)}-${Math.max(...loads)}` : '';
  out.push(text(10, 38, subtitle + load, { fill: '#555' }));
  out.push(text(labelW, top - 8, 'painted frames per second', { bold: true }));
  out.push(text(lx0, top - 8, 'input latency, ms (p50 bar, p95 | p99 ·, log scale)', { bold: true }));
  // Grid lines.
  for (let v = 0; v <= maxFps; v += step) {
    const x = fx(v);
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + rows.length * rowH}" stroke="#ddd"/>`);
    out.push(text(x, top + rows.length * rowH + 14, Math.round(v), { anchor: 'middle', fill: '#555' }));
  }
  for (let d = lmin; d <= lmax; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > lmax) break;
      const x = lx(v);
      out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + rows.length * rowH}" stroke="#ddd"/>`);
      // Labels on powers of ten only, once the axis spans many decades.
      if (m === 1 || lmax <= 1000) out.push(text(x, top + rows.length * rowH + 14, v, { anchor: 'middle', fill: '#555' }));
    }
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const color = COLORS[r.client] ?? '#888';
    const label = `${r.scene} ${r.size} ${r.format} ${r.client}${{ jupyter: ' via nb6', jupyterlab4: ' via lab4' }[r.transport] ?? ''}${r.link !== 'none' ? ` @ ${r.link}` : ''}`;
    out.push(text(labelW - 8, y + 15, label, { anchor: 'end' }));
    out.push(`<rect x="${labelW}" y="${y + 4}" width="${Math.max(1, fx(r.fps) - labelW)}" height="${rowH - 8}" fill="${color}"/>`);
    out.push(text(fx(r.fps) + 4, y + 15, r.fps, { fill: '#333' }));
    const { p50, p95, p99 } = r.latency;
    if (p50 !== null) {
      out.push(`<rect x="${lx0}" y="${y + 4}" width="${Math.max(1, lx(p50) - lx0)}" height="${rowH - 8}" fill="${color}" opacity="0.8"/>`);
      out.push(`<line x1="${lx(p50)}" x2="${lx(p99)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#333"/>`);
      out.push(`<line x1="${lx(p95)}" x2="${lx(p95)}" y1="${y + 5}" y2="${y + rowH - 5}" stroke="#333" stroke-width="2"/>`);
      out.push(`<circle cx="${lx(p99)}" cy="${y + rowH / 2}" r="2.5" fill="#333"/>`);
      out.push(text(lx(p99) + 6, y + 15, `${p50}/${p95}/${p99}`, { fill: '#333' }));
    }
  });
  const ly = top + rows.length * rowH + 34;
  out.push(`<rect x="${labelW}" y="${ly - 10}" width="12" height="12" fill="${COLORS.node}"/>`, text(labelW + 16, ly, 'Node client (sharp decode)'));
  out.push(`<rect x="${labelW + 200}" y="${ly - 10}" width="12" height="12" fill="${COLORS.chromium}"/>`, text(labelW + 216, ly, 'headless Chromium, real widget'));
  out.push('</svg>');
  return out.join('\n');
}

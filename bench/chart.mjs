// The benchmark's chart: painted frames per second per run (bars, by client), and the input
// latency distribution per run (p50 bar, whiskers to p95 and p99, log scale), drawn as SVG and
// rendered to PNG with sharp (librsvg), so no charting dependency is needed.
import sharp from 'sharp';

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
const COLORS = { node: '#4878b0', chromium: '#e07b39' };

/** PNG of the chart of `records` (those with an fps and latency); `subtitle` names the machine. */
export async function renderChart(records, subtitle) {
  const rows = records.filter((r) => typeof r.fps === 'number' && r.latency && !r.kind);
  const rowH = 22;
  const top = 64;
  const labelW = 300;
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
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="10" y="20" font-size="15" font-weight="bold">dawn-rfb whole-pipeline benchmark</text>`);
  const loads = rows.flatMap((r) => r.load ?? []);
  const load = loads.length > 0 ? `; load average ${Math.min(...loads)}-${Math.max(...loads)}` : '';
  out.push(`<text x="10" y="38" fill="#555">${esc(subtitle + load)}</text>`);
  out.push(`<text x="${labelW}" y="${top - 8}" font-weight="bold">painted frames per second</text>`);
  out.push(`<text x="${lx0}" y="${top - 8}" font-weight="bold">input latency, ms (p50 bar, p95 | p99 ·, log scale)</text>`);
  // Grid lines.
  for (let v = 0; v <= maxFps; v += step) {
    const x = fx(v);
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + rows.length * rowH}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${top + rows.length * rowH + 14}" text-anchor="middle" fill="#555">${Math.round(v)}</text>`);
  }
  for (let d = lmin; d <= lmax; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > lmax) break;
      const x = lx(v);
      out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + rows.length * rowH}" stroke="#ddd"/>`);
      // Labels on powers of ten only, once the axis spans many decades.
      if (m === 1 || lmax <= 1000) out.push(`<text x="${x}" y="${top + rows.length * rowH + 14}" text-anchor="middle" fill="#555">${v}</text>`);
    }
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const color = COLORS[r.client] ?? '#888';
    const label = `${r.scene} ${r.size} ${r.format} ${r.client}${r.link !== 'none' ? ` @ ${r.link}` : ''}`;
    out.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(label)}</text>`);
    out.push(`<rect x="${labelW}" y="${y + 4}" width="${Math.max(1, fx(r.fps) - labelW)}" height="${rowH - 8}" fill="${color}"/>`);
    out.push(`<text x="${fx(r.fps) + 4}" y="${y + 15}" fill="#333">${r.fps}</text>`);
    const { p50, p95, p99 } = r.latency;
    if (p50 !== null) {
      out.push(`<rect x="${lx0}" y="${y + 4}" width="${Math.max(1, lx(p50) - lx0)}" height="${rowH - 8}" fill="${color}" opacity="0.8"/>`);
      out.push(`<line x1="${lx(p50)}" x2="${lx(p99)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#333"/>`);
      out.push(`<line x1="${lx(p95)}" x2="${lx(p95)}" y1="${y + 5}" y2="${y + rowH - 5}" stroke="#333" stroke-width="2"/>`);
      out.push(`<circle cx="${lx(p99)}" cy="${y + rowH / 2}" r="2.5" fill="#333"/>`);
      out.push(`<text x="${lx(p99) + 6}" y="${y + 15}" fill="#333">${p50}/${p95}/${p99}</text>`);
    }
  });
  const ly = top + rows.length * rowH + 34;
  out.push(`<rect x="${labelW}" y="${ly - 10}" width="12" height="12" fill="${COLORS.node}"/><text x="${labelW + 16}" y="${ly}">Node client (sharp decode)</text>`);
  out.push(`<rect x="${labelW + 200}" y="${ly - 10}" width="12" height="12" fill="${COLORS.chromium}"/><text x="${labelW + 216}" y="${ly}">headless Chromium, real widget</text>`);
  out.push('</svg>');
  return sharp(Buffer.from(out.join('\n'))).png().toBuffer();
}

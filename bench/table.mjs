// Prints the records of a benchmark JSON file (bench/pipeline.mjs --json) as a Markdown table,
// for the README:  node bench/table.mjs bench-results.json
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/table.mjs RESULTS.json');
  process.exit(2);
}
const { records } = JSON.parse(readFileSync(file, 'utf8'));
const rows = [
  '| scene | size | format | client | transport | link | painted fps | latency p50 / p95 / p99 ms | kB/frame | encode ms | client decode ms | CPU server / client % | load |',
  '| --- | --- | --- | --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- | --- |',
];
for (const r of records) {
  if (r.error) {
    rows.push(`| ${r.scene ?? r.kind} | ${r.size ?? ''} | ${r.format ?? ''} | ${r.client ?? ''} | ${r.transport ?? 'direct'} | ${r.link ?? ''} | failed: ${r.error} | | | | | | |`);
    continue;
  }
  if (r.kind === 'rss-soak') continue;
  const l = r.latency;
  rows.push(`| ${r.scene} | ${r.size} | ${r.format} | ${r.client} | ${r.transport ?? 'direct'} | ${r.link} | ${r.fps} | ${l.p50} / ${l.p95} / ${l.p99} | ${(r.bytesPerFrame / 1024).toFixed(1)} | ${r.stages.encodeMs} | ${r.stages.clientDecodeMs} | ${r.cpu.server} / ${r.cpu.client} | ${r.load.join(' -> ')} |`);
}
console.log(rows.join('\n'));
for (const r of records.filter((x) => x.kind === 'rss-soak' && !x.error)) {
  console.log(`\nRSS: ${r.rssMB.at1000} MB at frame 1,000, ${r.rssMB.end} MB at frame ${r.frames.toLocaleString('en')} (${r.rssMB.growthPct >= 0 ? '+' : ''}${r.rssMB.growthPct}%), load ${r.load.join(' -> ')}.`);
}

import sharp from 'sharp';
const [w, h, parts] = [1920, 1080, +process.argv[2] || 8];
const conc = process.argv[3] ? +process.argv[3] : undefined;
if (conc) sharp.concurrency(conc);
const data = new Uint8Array(w * h * 4); for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 255;
const sh = Math.ceil(h / parts);
async function frame() {
  const jobs = [];
  for (let y = 0; y < h; y += sh) {
    const hh = Math.min(sh, h - y);
    jobs.push(sharp(data.subarray(y * w * 4, (y + hh) * w * 4), { raw: { width: w, height: hh, channels: 4 } }).removeAlpha().jpeg({ quality: 80 }).toBuffer());
  }
  return Promise.all(jobs);
}
for (let i = 0; i < 20; i++) await frame();
const c0 = process.cpuUsage(); const t0 = performance.now(); const N = 100;
for (let i = 0; i < N; i++) await frame();
const t = (performance.now() - t0) / N; const c = process.cpuUsage(c0);
console.log(`parts ${parts} concurrency ${sharp.concurrency()}: ${t.toFixed(2)} ms/frame, cpu ${((c.user + c.system) / 1000 / N).toFixed(2)} ms/frame`);

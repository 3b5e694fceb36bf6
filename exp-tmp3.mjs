import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import * as m from '@napi-rs/webcodecs';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const data = readFileSync(process.argv[2]);
const d = new m.Mp4Demuxer({ videoOutput: (c) => console.log(c.type, c.timestamp, c.byteLength), error: console.log });
await d.loadBuffer(new Uint8Array(data)); console.log(d.videoDecoderConfig.codec); await d.demuxAsync(); d.close();
const p = await b.newPage();
await p.setContent(`<video muted src="data:video/mp4;base64,${data.toString('base64')}"></video>`);
console.log(await p.evaluate(async () => {
  const v = document.querySelector('video');
  if (v.readyState < 1) await new Promise((res) => v.addEventListener('loadedmetadata', res, {once:true}));
  const out = [];
  for (const t of [0, 0.001, 0.05, 0.15, 0.99, 0]) {
    const seeked = new Promise((r) => v.addEventListener('seeked', r, { once: true }));
    v.currentTime = t; await seeked;
    const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
    const g = c.getContext('2d'); g.drawImage(v, 0, 0);
    out.push(t + ':' + [...g.getImageData(48, 32, 1, 1).data].join(','));
  }
  return out.join(' ');
}));
await b.close();

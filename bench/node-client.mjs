// The benchmark's Node client, run as a child process (in the link's network namespace when
// there is one): it decodes every frame it draws with sharp, acknowledges it after decoding (as
// the widget does after drawing), keeps only the newest waiting frame, and drags: pointer events
// at 60 Hz with the client's clock in their timestamps. Driven over the IPC channel:
//   parent -> {type: 'start', url} | {type: 'measure'} | {type: 'stop'}
//   child  -> {type: 'ready'} (first frame drawn) | {type: 'result', ...}
import WebSocket from 'ws';
import sharp from 'sharp';
import { decodeFrameMessage } from '../dist/index.js';


let ws;
let ready = false;
let measuring = false;
let recording = true; // keep per-frame records (the RSS run only counts)
let busy = false;
let waiting = null;
let skipped = 0; // index of the newest frame replaced while waiting, to acknowledge in order
let drag;
const paints = []; // [frame timestamp (server s), painted at (client ms)]
const decodeMs = [];
let bytes = 0;
let frames = 0;
let cpuStart;
let tStart = 0;

function send(message) {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

async function draw(frame) {
  busy = true;
  const t0 = performance.now();
  try {
    // A frame in strips decodes them at once (on sharp's threads), as the widget does.
    await Promise.all(frame.parts.map((part) => sharp(part.image).raw().toBuffer()));
  } catch (e) {
    console.error(`node client: frame ${frame.header.index} did not decode: ${e.message}`);
  }
  const t1 = performance.now();
  if (measuring) {
    frames++;
    bytes += frame.image.length;
    if (recording) {
      decodeMs.push(t1 - t0);
      paints.push([frame.header.timestamp, t1]);
    }
  }
  send({ type: 'ack', index: frame.header.index });
  if (skipped > frame.header.index) send({ type: 'ack', index: skipped });
  skipped = 0;
  if (!ready) {
    ready = true;
    process.send({ type: 'ready' });
  }
  busy = false;
  const next = waiting;
  waiting = null;
  if (next) void draw(next);
}

function pointer(type, x, y, buttons) {
  send({ type: 'event', event: { type, timestamp: performance.now() / 1000, x, y, button: type === 'pointer_move' ? 0 : 1, buttons, modifiers: [], ntouches: 0, touches: {} } });
}

function startDrag() {
  const [cx, cy] = [200, 150];
  let step = 0;
  pointer('pointer_down', cx, cy, [1]);
  drag = setInterval(() => {
    step++;
    pointer('pointer_move', cx + 100 * Math.cos(step * 0.05), cy + 100 * Math.sin(step * 0.05), [1]);
  }, 1000 / 60);
}

process.on('message', (m) => {
  if (m.type === 'start') {
    ws = new WebSocket(m.url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => send({ type: 'event', event: { type: 'resize', timestamp: performance.now() / 1000, width: m.width, height: m.height, pwidth: m.width, pheight: m.height, ratio: 1 } }));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const frame = decodeFrameMessage(data);
      if (!busy) void draw(frame);
      else {
        // A frame replaced before it was drawn is skipped; its ack goes out after the ack of the
        // frame being decoded now (acks are in order: a later ack settles the earlier frames).
        if (waiting) skipped = waiting.header.index;
        waiting = frame;
      }
    });
    ws.on('error', (e) => console.error(`node client: ${e.message}`));
  } else if (m.type === 'measure') {
    measuring = true;
    recording = m.record !== false;
    cpuStart = process.cpuUsage();
    tStart = performance.now();
    if (m.drag) startDrag();
  } else if (m.type === 'stop') {
    measuring = false;
    clearInterval(drag);
    pointer('pointer_up', 200, 150, []);
    const cpu = process.cpuUsage(cpuStart);
    const wall = performance.now() - tStart;
    process.send({
      type: 'result', frames, bytes, decodeMs, paints, wallMs: wall,
      cpu: (cpu.user + cpu.system) / 1000 / wall, rssMB: process.memoryUsage().rss / 2 ** 20,
    });
    setTimeout(() => { ws.close(); process.disconnect(); }, 50);
  }
});

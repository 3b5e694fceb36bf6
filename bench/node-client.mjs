// The benchmark's Node client, run as a child process (in the link's network namespace when
// there is one): it decodes every frame it draws with sharp, acknowledges it after decoding (as
// the widget does after drawing), keeps only the newest waiting frame, and drags: pointer events
// at 60 Hz with the client's clock in their timestamps. Driven over the IPC channel:
//   parent -> {type: 'start', url} | {type: 'start', jupyter: {url, comm}} | {type: 'measure'} | {type: 'stop'}
// With `jupyter` it takes the Jupyter path as the widget's own kernel websocket does: `url` is a
// kernel channels websocket, `comm` the view's comm route ({target, canvasId, token}); the comm is
// opened with COMM_METADATA.replyOnShell (frames come on shell, to this connection only) and
// acknowledgements and events go as comm_msg marked COMM_METADATA.noStatus.
//   child  -> {type: 'ready'} (first frame drawn) | {type: 'result', ...}
import WebSocket from 'ws';
import sharp from 'sharp';
import { randomBytes } from 'node:crypto';
import { COMM_METADATA, decodeFrameMessage, PROTOCOL_VERSION } from '../dist/index.js';
import { kernelChannels } from './jupyter.mjs';


let ws;
let sendText; // sends one JSON text message to the canvas, by whichever route the client took
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
  sendText?.(JSON.stringify(message));
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

/** A frame arrived: draw it now, or keep it as the newest waiting one. */
function arrived(data) {
  const frame = decodeFrameMessage(data);
  if (!busy) void draw(frame);
  else {
    // A frame replaced before it was drawn is skipped; its ack goes out after the ack of the
    // frame being decoded now (acks are in order: a later ack settles the earlier frames).
    if (waiting) skipped = waiting.header.index;
    waiting = frame;
  }
}

const resize = (m) => send({ type: 'event', event: { type: 'resize', timestamp: performance.now() / 1000, width: m.width, height: m.height, pwidth: m.width, pheight: m.height, ratio: 1 } });

function startDirect(m) {
  ws = new WebSocket(m.url, { perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  sendText = (text) => { if (ws.readyState === WebSocket.OPEN) ws.send(text); };
  ws.on('open', () => resize(m));
  ws.on('message', (data, isBinary) => { if (isBinary) arrived(data); });
  ws.on('error', (e) => console.error(`node client: ${e.message}`));
}

async function startJupyter(m) {
  const channels = await kernelChannels(m.jupyter.url);
  ws = channels.ws;
  const commId = randomBytes(16).toString('hex');
  sendText = (text) => channels.shell('comm_msg', { comm_id: commId, data: { text } }, { [COMM_METADATA.noStatus]: true });
  channels.listeners.add((msg) => {
    if (msg.msg_type === 'comm_msg' && msg.content.comm_id === commId && msg.buffers?.length > 0) arrived(msg.buffers[0]);
    if (msg.msg_type === 'comm_close' && msg.content.comm_id === commId) console.error(`node client: the kernel closed the comm: ${JSON.stringify(msg.content.data)}`);
  });
  const { target, canvasId, token } = m.jupyter.comm;
  channels.shell('comm_open', { comm_id: commId, target_name: target, data: { canvasId, token, protocol: PROTOCOL_VERSION } }, { [COMM_METADATA.replyOnShell]: true });
  resize(m);
}

process.on('message', (m) => {
  if (m.type === 'start') {
    if (m.jupyter) startJupyter(m).catch((e) => console.error(`node client: ${e.message}`));
    else startDirect(m);
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

// The benchmark's Node client, run as a child process (in the link's network namespace when
// there is one): it decodes every image it draws with sharp, acknowledges it after decoding (as
// the widget does after drawing), keeps only the newest waiting frame, and drags: pointer events
// at 60 Hz with the client's clock in their timestamps. Driven over the IPC channel:
//   parent -> {type: 'start', url, codecs} | {type: 'start', jupyter: {url, comm}, codecs} | {type: 'measure'} | {type: 'stop'}
// With `codecs` ['h264'] it announces after each hello that it decodes H.264 (protocol 4) and
// decodes video frames with @napi-rs/webcodecs' VideoDecoder, every one in order (a delta frame
// needs all before it; only a keyframe or a whole image makes waiting frames stale), converting
// each picture to RGBA as an image's decode does. A video frame is acknowledged once the decoder
// has taken and decoded it (its 'dequeue'): that decoder (1.3.1, FFmpeg with a reorder window of
// 2 frames for H.264) hands a picture out only after the next two chunks, so waiting for the
// picture itself would stall the stream against the server's window of unacknowledged frames.
// A frame counts as painted when its picture comes out (so input latency includes that delay).
// After a decode error it asks for a keyframe ({type: 'keyframe'}) and drops delta frames
// (acknowledged as skipped) until one comes, as the widget does.
// With `jupyter` it takes the Jupyter path as the widget's own kernel websocket does: `url` is a
// kernel channels websocket, `comm` the view's comm route ({target, canvasId, token}); the comm is
// opened with COMM_METADATA.replyOnShell (frames come on shell, to this connection only) and
// acknowledgements and events go as comm_msg marked COMM_METADATA.noStatus.
//   child  -> {type: 'ready'} (first frame drawn) | {type: 'result', ...}
import WebSocket from 'ws';
import sharp from 'sharp';
import { randomBytes } from 'node:crypto';
import { COMM_METADATA, decodeFrameMessage, MAX_HELD_MS, PROTOCOL_VERSION } from '../dist/index.js';
import { VIDEO_CODECS } from '../dist/remote/protocol.js';
import { loadVideoCodecs } from '../dist/remote/frames/video-encoder.js';
import { kernelChannels } from './jupyter.mjs';

let ws;
let sendText; // sends one JSON text message to the canvas, by whichever route the client took
let ready = false;
let measuring = false;
let recording = true; // keep per-frame records (the RSS run only counts)
let busy = false;
/** Frames that arrived while one was being decoded, oldest first (video frames are never dropped for newer ones). */
const queue = [];
let skipped = 0; // index of the newest frame made stale while waiting, to acknowledge in order
let drag;
const paints = []; // [frame timestamp (server s), painted at (client ms)]
const decodeMs = [];
let bytes = 0;
let frames = 0;
let cpuStart;
let tStart = 0;
let codecs = []; // the video codecs this client announces
const video = { frames: 0, keyframes: 0, decodeErrors: 0, keyframeRequests: 0, pictures: 0 };

function send(message) {
  sendText?.(JSON.stringify(message));
}

/** Decodes an image (its strips at once, on sharp's threads, as the widget does). */
async function decodeImage(frame) {
  try {
    await Promise.all(frame.parts.map((part) => sharp(part.image).raw().toBuffer()));
  } catch (e) {
    console.error(`node client: frame ${frame.header.index} did not decode: ${e.message}`);
  }
  return true;
}

// The video decoder (made on the first video frame, again after an error) and what it owes.
let webcodecs;
let decoder;
let awaitingKey = false;
const frameTimestamps = new Map(); // frame index -> [frame timestamp (server s), measured]

function makeDecoder() {
  const d = new webcodecs.VideoDecoder({
    output: (picture) => {
      const at = frameTimestamps.get(picture.timestamp);
      frameTimestamps.delete(picture.timestamp);
      // "Drawing": the picture as RGBA pixels, as an image's decode gives them.
      const rgba = new Uint8Array(picture.codedWidth * picture.codedHeight * 4);
      picture.copyTo(rgba, { format: 'RGBA' }).then(() => {
        video.pictures++;
        if (at?.[1] && recording) paints.push([at[0], performance.now()]);
      }, (e) => console.error(`node client: a decoded picture did not convert: ${e.message}`)).finally(() => picture.close());
    },
    error: (e) => {
      d.failure = e;
      d.settle?.();
    },
  });
  d.configure({ codec: VIDEO_CODECS.h264, optimizeForLatency: true });
  return d;
}

/** Decodes a video frame in order; resolves whether it decoded (false: dropped or failed). */
async function decodeVideo(frame) {
  const { key } = frame.header.video;
  if (awaitingKey && !key) return false; // a delta frame without its base: dropped until the keyframe
  if (!decoder || decoder.failure || decoder.state === 'closed') decoder = makeDecoder();
  awaitingKey = false;
  const d = decoder;
  frameTimestamps.set(frame.header.index, [frame.header.timestamp, measuring]);
  const done = new Promise((resolve) => {
    const timer = setTimeout(() => { d.failure ??= new Error('no decode within 5 s'); resolve(); }, 5000);
    d.settle = () => { clearTimeout(timer); resolve(); };
    d.ondequeue = () => { if (d.decodeQueueSize === 0) d.settle(); };
  });
  try {
    d.decode(new webcodecs.EncodedVideoChunk({ type: key ? 'key' : 'delta', timestamp: frame.header.index, data: frame.image }));
  } catch (e) {
    d.failure ??= e;
    d.settle();
  }
  await done;
  if (!d.failure) {
    video.frames++;
    if (key) video.keyframes++;
    return true;
  }
  console.error(`node client: video frame ${frame.header.index} did not decode: ${d.failure.message ?? d.failure}; asking for a keyframe`);
  video.decodeErrors++;
  video.keyframeRequests++;
  try { if (d.state !== 'closed') d.close(); } catch { /* a failed decoder may be closed already */ }
  frameTimestamps.clear();
  awaitingKey = true;
  send({ type: 'keyframe' });
  return false;
}

async function draw(frame) {
  busy = true;
  const t0 = performance.now();
  const decoded = frame.header.video ? await decodeVideo(frame) : await decodeImage(frame);
  const t1 = performance.now();
  if (measuring && decoded) {
    frames++;
    bytes += frame.image.length;
    if (recording) {
      decodeMs.push(t1 - t0);
      if (!frame.header.video) paints.push([frame.header.timestamp, t1]); // a video frame's: when its picture comes out
    }
  }
  // heldMs: the time the frame spent in this client (the server takes it off the roundtrip).
  const heldMs = Math.min(MAX_HELD_MS, Math.round(performance.now() - frame.arrived));
  send({ type: 'ack', index: frame.header.index, ...(decoded ? {} : { skipped: true }), heldMs });
  if (skipped > frame.header.index) send({ type: 'ack', index: skipped, skipped: true, heldMs });
  skipped = 0;
  if (!ready && decoded) {
    ready = true;
    process.send({ type: 'ready' });
  }
  busy = false;
  const next = queue.shift();
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

/** A frame arrived: draw it now, or queue it (an image or a keyframe makes the waiting ones stale). */
function arrived(data) {
  const frame = { ...decodeFrameMessage(data), arrived: performance.now() };
  if (!busy) {
    void draw(frame);
    return;
  }
  // A frame made stale before it was drawn is skipped; its ack goes out after the ack of the
  // frame being decoded now (acks are in order: a later ack settles the earlier frames). A delta
  // video frame stales nothing: it needs every frame before it.
  if (!frame.header.video || frame.header.video.key) {
    for (const stale of queue.splice(0)) skipped = Math.max(skipped, stale.header.index);
  }
  queue.push(frame);
}

/** A text message from the canvas: after each hello, the video codecs this client decodes. */
function textArrived(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return;
  }
  if (message.type === 'hello' && codecs.length > 0) send({ type: 'codecs', decode: codecs });
}

const resize = (m) => send({ type: 'event', event: { type: 'resize', timestamp: performance.now() / 1000, width: m.width, height: m.height, pwidth: m.width, pheight: m.height, ratio: 1 } });

function startDirect(m) {
  ws = new WebSocket(m.url, { perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  sendText = (text) => { if (ws.readyState === WebSocket.OPEN) ws.send(text); };
  ws.on('open', () => resize(m));
  ws.on('message', (data, isBinary) => { if (isBinary) arrived(data); else textArrived(data.toString()); });
  ws.on('error', (e) => console.error(`node client: ${e.message}`));
}

async function startJupyter(m) {
  const channels = await kernelChannels(m.jupyter.url);
  ws = channels.ws;
  const commId = randomBytes(16).toString('hex');
  sendText = (text) => channels.shell('comm_msg', { comm_id: commId, data: { text } }, { [COMM_METADATA.noStatus]: true });
  channels.listeners.add((msg) => {
    if (msg.msg_type === 'comm_msg' && msg.content.comm_id === commId) {
      if (msg.buffers?.length > 0) arrived(msg.buffers[0]);
      else if (typeof msg.content.data?.text === 'string') textArrived(msg.content.data.text);
    }
    if (msg.msg_type === 'comm_close' && msg.content.comm_id === commId) console.error(`node client: the kernel closed the comm: ${JSON.stringify(msg.content.data)}`);
  });
  const { target, canvasId, token } = m.jupyter.comm;
  channels.shell('comm_open', { comm_id: commId, target_name: target, data: { canvasId, token, protocol: PROTOCOL_VERSION } }, { [COMM_METADATA.replyOnShell]: true });
  resize(m);
}

async function start(m) {
  codecs = m.codecs ?? [];
  if (codecs.length > 0) webcodecs = await loadVideoCodecs(); // before the hello, so the first video frame finds it
  if (m.jupyter) await startJupyter(m);
  else startDirect(m);
}

process.on('message', (m) => {
  if (m.type === 'start') {
    start(m).catch((e) => console.error(`node client: ${e.message}`));
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
      type: 'result', frames, bytes, decodeMs, paints, wallMs: wall, ...(codecs.length > 0 ? { video } : {}),
      cpu: (cpu.user + cpu.system) / 1000 / wall, rssMB: process.memoryUsage().rss / 2 ** 20,
    });
    setTimeout(() => { ws.close(); process.disconnect(); }, 50);
  }
});

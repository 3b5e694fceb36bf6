// A TCP relay that emulates a slow link in user space: every chunk is held for the one-way delay
// (this kernel has no netem) and, when `rateBitsPerSecond` is set, leaves no faster than that
// rate, like a serial link (used when the benchmark cannot shape traffic with tc, e.g. not root).
// Order is kept per direction; a full queue pauses the reading side, so TCP backpressure reaches
// the sender as it would over a real link.
import net from 'node:net';

const MAX_QUEUED = 4 * 1024 * 1024;
const SLICE = 16 * 1024; // rate-limited chunks go out in slices, not one burst per read

/** One direction of the link: bytes read from `from` reach `to` after the delay (and the rate). */
function pipeDelayed(from, to, delayMs, rateBitsPerSecond) {
  const queue = [];
  let queued = 0;
  let linkFreeAt = 0;
  let timer;
  let blocked = false;
  const pump = () => {
    timer = undefined;
    const t = performance.now();
    while (queue.length > 0 && queue[0].at <= t && !blocked) {
      const { chunk } = queue.shift();
      queued -= chunk.length;
      if (!to.write(chunk)) {
        blocked = true;
        to.once('drain', () => { blocked = false; pump(); });
      }
    }
    if (queued < MAX_QUEUED && from.isPaused()) from.resume();
    if (queue.length > 0 && !blocked && !timer) timer = setTimeout(pump, Math.max(0, queue[0].at - performance.now()));
  };
  from.on('data', (data) => {
    const t = performance.now();
    for (let off = 0; off < data.length; off += rateBitsPerSecond ? SLICE : data.length) {
      const chunk = data.subarray(off, off + (rateBitsPerSecond ? SLICE : data.length));
      let departs = t;
      if (rateBitsPerSecond) {
        departs = Math.max(t, linkFreeAt) + (chunk.length * 8 * 1000) / rateBitsPerSecond;
        linkFreeAt = departs;
      }
      queue.push({ at: departs + delayMs, chunk });
      queued += chunk.length;
    }
    if (queued >= MAX_QUEUED) from.pause();
    if (!timer && !blocked) timer = setTimeout(pump, Math.max(0, queue[0].at - performance.now()));
  });
  const end = () => {
    clearTimeout(timer);
    to.destroy();
  };
  from.on('end', end);
  from.on('error', end);
  from.on('close', end);
}

/**
 * Starts a relay on `listenHost` (ephemeral port) to `target` ({host, port}) that adds `rttMs`
 * of round-trip delay (half each way) and, optionally, limits each direction to
 * `rateBitsPerSecond`. Resolves to {host, port, close()}.
 */
export function startRelay({ listenHost = '127.0.0.1', target, rttMs, rateBitsPerSecond }) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    pipeDelayed(client, upstream, rttMs / 2, rateBitsPerSecond);
    pipeDelayed(upstream, client, rttMs / 2, rateBitsPerSecond);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => {
      resolve({
        host: listenHost,
        port: server.address().port,
        close: () => new Promise((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
      });
    });
  });
}

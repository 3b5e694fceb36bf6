// Jupyter comms for tslab, which has none: comm_open / comm_msg / comm_close / comm_info_request
// on the shell channel, with binary buffers both ways, and a small registry through which code
// running in the kernel (dawn-rfb's RemoteCanvas) registers comm targets and talks over comms.
//
// tslab 1.0.22's ZmqServer gets three wrappers, each on its prototype:
//  - bindSocket: before a socket binds, its sends are queued behind a promise (zeromq 6 throws
//    EBUSY when a send starts while another is pending, and tslab never awaits its sends), and the
//    iopub high-water mark is raised (a PUB socket silently drops messages beyond it).
//  - handleShellMessage: messages are parsed here, with the HMAC checked over the four JSON frames
//    only, as jupyter_client signs them (tslab hashes the buffers too, so any message with buffers
//    failed). Comm messages are handled here; the others go on to tslab without their buffers.
//  - a shutdown_request first closes every open comm, so views learn that the kernel is going.
//
// Small messages stall the Jupyter server's kernel websocket: it leaves TCP_NODELAY off, so a
// small write behind unacknowledged data waits for the browser's delayed ACK (~40 ms). Two rules
// keep a view's frames and acknowledgements free of them (measured: 35 -> 180 fps through a stock
// Notebook 6 server, README "Design"):
//  - A comm_msg whose metadata says `dawn_rfb_no_status: true` (the widget's acknowledgements and
//    events) is handled without the busy / idle statuses around it. The protocol asks for them
//    around every request so that a front end can tell when its request is done; these messages
//    have no reply and nobody waits on them, and three small messages per frame were the stall.
//    Every other request (comm_open, comm_close, comm_info_request, an unmarked comm_msg) keeps
//    them, so a front end that waits for idle (JupyterLab's futures) is never left waiting.
//  - A comm opened with metadata `dawn_rfb_reply_on_shell: true` (the widget's own kernel
//    websocket) gets its messages on the shell channel, addressed to the connection that opened
//    it: the server passes shell messages only to that websocket, where iopub goes to every
//    client of the kernel (in JupyterLab each frame crossed the user's link twice). Shell
//    messages are also outside the server's iopub rate limit.
// Comm messages on iopub are kept under the server's iopub message rate limit (IOPUB_BUDGET):
// without statuses, nothing resets the server's count any more, and a message past the limit is
// dropped by the server, which would leave a view waiting for a frame forever.
//
// The registry is `globalThis[Symbol.for('dawn-rfb.kernel-comms')]`; its shape (KernelComms,
// KernelComm) is declared in src/remote/transport/comm-target.ts, and this file is type-checked
// against those declarations (`// @ts-check` with JSDoc types, tsconfig.kernel-ext.json, run by
// `npm run typecheck` and test/kernel-ext-types.test.ts), as are the names and reasons both sides
// must spell alike. The types are comments only: at run time this file is plain CommonJS requiring
// nothing of dawn-rfb, and the library looks the registry up and never imports this file.
// @ts-check
'use strict';
const { createHmac, randomBytes, timingSafeEqual } = require('node:crypto');

/** @typedef {import('../src/remote/transport/comm-target.js').KernelComm} KernelComm */
/** @typedef {import('../src/remote/transport/comm-target.js').KernelComms} KernelComms */
/** @typedef {Parameters<KernelComms['registerTarget']>[1]} OpenHandler */
/** @typedef {Record<string, unknown>} Json a JSON object of a message (header, content, data) */
/** @typedef {Array<Buffer | string>} Frames the frames of one zeromq message */
/**
 * A zeromq socket, as far as this file uses one; `drained` only on the queueing stand-in.
 * @typedef {object} ZmqSocket
 * @property {(frames: Frames) => Promise<unknown> | undefined} send
 * @property {boolean} [closed]
 * @property {number} [sendHighWaterMark]
 * @property {() => Promise<unknown>} [drained]
 */
/**
 * tslab 1.0.22's ZmqServer, as far as this file uses it.
 * @typedef {object} ZmqServer
 * @property {ZmqSocket} iopub
 * @property {ZmqSocket} shell
 * @property {ZmqSocket} control
 * @property {{ key: string }} connInfo
 */
/**
 * The ZmqServer prototype methods this file wraps.
 * @typedef {object} ZmqServerMethods
 * @property {(this: ZmqServer, sock: ZmqSocket, port: number) => unknown} bindSocket
 * @property {(this: ZmqServer, sock: ZmqSocket, ...raw: Buffer[]) => Promise<unknown>} handleShellMessage
 */
/** @typedef {{ queuedBytes: number }} SendStats bytes waiting in send queues */
/** @typedef {(message: string) => void} Log */

const REGISTRY = Symbol.for('dawn-rfb.kernel-comms');
const DELIM = Buffer.from('<IDS|MSG>');
const COMM_TYPES = new Set(['comm_open', 'comm_msg', 'comm_close', 'comm_info_request']);
// dawn-rfb's view target and its refusal of an unknown canvas (code 4001):
// src/remote/transport/comm-target.ts, protocol.ts and closed-canvases.ts declare them; the types
// make a copy that differs an error.
/** @type {typeof import('../src/remote/transport/comm-target.js').COMM_TARGET} */
const VIEW_TARGET = 'dawn-rfb.view';
/** @type {typeof import('../src/remote/protocol.js').CloseCode.unknownCanvas} */
const UNKNOWN_CANVAS_CODE = 4001;
/** @type {typeof import('../src/remote/transport/closed-canvases.js').NEVER_HAD_REASON} */
const UNKNOWN_CANVAS_REASON = 'no such canvas in this kernel (the kernel restarted, or the output is from another session)';
// A kernel that cannot listen on a port of its connection file because another program has it
// exits with this code (a runner then starts it again with other ports).
/** @type {typeof import('../src/testing/kernel/client.js').PORT_IN_USE_EXIT_CODE} */
const PORT_IN_USE_EXIT_CODE = 98;
// Frames are bounded by acknowledgements (a few per view), so a high mark costs no memory in
// practice; it only keeps bursts of small messages from being dropped by the PUB socket.
const IOPUB_HIGH_WATER_MARK = 100_000;
// Comm ids and target names are short strings in every front end (uuid hex).
const MAX_ID = 256;
// The metadata keys above, as src/remote/protocol.ts declares them.
/** @type {typeof import('../src/remote/protocol.js').COMM_METADATA.noStatus} */
const NO_STATUS = 'dawn_rfb_no_status';
/** @type {typeof import('../src/remote/protocol.js').COMM_METADATA.replyOnShell} */
const REPLY_ON_SHELL = 'dawn_rfb_reply_on_shell';
// Notebook 6 and jupyter_server drop iopub messages past `iopub_msg_rate_limit` (1000 a second,
// averaged over `rate_limit_window`, 3 s); statuses do not count. Comm messages keep to 80% of it,
// leaving room for the cells' own output.
const IOPUB_BUDGET = { messages: 2400, windowMs: 3000 };

/**
 * Writes to the kernel's own stderr (Jupyter's log), not to the running cell's output.
 * @param {(text: string) => unknown} write
 * @returns {Log}
 */
function makeLogger(write) {
  /** @type {Map<string, number>} */
  const seen = new Map();
  return (message) => {
    // The same complaint from a flooding client is logged once a minute at most.
    const now = Date.now();
    const last = seen.get(message);
    if (last !== undefined && now - last < 60_000) return;
    seen.set(message, now);
    if (seen.size > 1000) seen.clear();
    write(`dawn-rfb kernel comms: ${message}\n`);
  };
}

/** @param {ReadonlyArray<Buffer | string>} frames */
function byteLength(frames) {
  let n = 0;
  for (const f of frames) n += typeof f === 'string' ? Buffer.byteLength(f) : f.byteLength;
  return n;
}

/**
 * Sends through `send(frames)` at most `budget.messages` per `budget.windowMs`, in order: sends
 * past the budget wait (their bytes counted in `stats.queuedBytes`) until the window has room.
 * @param {(frames: Frames) => unknown} send
 * @param {SendStats} stats
 * @param {{ messages: number, windowMs: number }} [budget]
 * @returns {(frames: Frames) => unknown} what `send` returned, or undefined for a send that waits
 */
function rateBudgeted(send, stats, budget = IOPUB_BUDGET) {
  /** @type {number[]} */
  const times = []; // when the last sends went out, oldest first (at most budget.messages)
  /** @type {Array<[Frames, number]>} */
  const pending = []; // [frames, bytes] waiting for room, in order
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @param {number} now */
  const room = (now) => {
    while (times.length > 0 && now - times[0] >= budget.windowMs) times.shift();
    return times.length < budget.messages;
  };
  const flush = () => {
    timer = undefined;
    while (pending.length > 0 && room(Date.now())) {
      const [frames, bytes] = /** @type {[Frames, number]} */ (pending.shift());
      stats.queuedBytes -= bytes;
      times.push(Date.now());
      send(frames);
    }
    if (pending.length > 0) timer = setTimeout(flush, Math.max(1, times[0] + budget.windowMs - Date.now()));
  };
  return (frames) => {
    if (pending.length === 0 && room(Date.now())) {
      times.push(Date.now());
      return send(frames);
    }
    const bytes = byteLength(frames);
    stats.queuedBytes += bytes;
    pending.push([frames, bytes]);
    if (timer === undefined) flush();
    return undefined;
  };
}

/**
 * A stand-in for a zeromq socket whose `send` queues behind the previous send
 * (`stats.queuedBytes` counts what waits). zeromq's sockets are not extensible, so the stand-in is
 * a proxy that forwards everything else to the socket itself.
 * @param {ZmqSocket} sock
 * @param {SendStats} stats
 * @param {Log} log
 * @param {string} name
 * @returns {ZmqSocket}
 */
function queueSends(sock, stats, log, name) {
  const send = sock.send.bind(sock);
  /** @type {Promise<unknown>} */
  let tail = Promise.resolve();
  /** @param {Frames} frames */
  const queued = (frames) => {
    const bytes = byteLength(Array.isArray(frames) ? frames : [frames]);
    stats.queuedBytes += bytes;
    tail = tail.then(() => send(frames)).catch((e) => {
      if (!sock.closed) log(`${name} send failed: ${e?.message ?? e}`);
    }).finally(() => {
      stats.queuedBytes -= bytes;
    });
    return tail;
  };
  const drained = () => tail;
  return new Proxy(sock, {
    get(target, prop) {
      if (prop === 'send') return queued;
      if (prop === 'drained') return drained;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A shell message's parts.
 * @param {Buffer[]} raw
 */
function parse(raw) {
  const at = raw.findIndex((f) => Buffer.isBuffer(f) ? f.equals(DELIM) : false);
  if (at < 0) throw new Error('message without the <IDS|MSG> delimiter');
  if (raw.length < at + 6) throw new Error(`message with ${raw.length - at - 2} parts after the signature (at least 4 wanted)`);
  const parts = raw.slice(at + 2, at + 6);
  /**
   * @param {number} i
   * @param {string} what
   * @returns {Json}
   */
  const json = (i, what) => {
    /** @type {unknown} */
    let v;
    try {
      v = JSON.parse(parts[i].toString('utf8'));
    } catch {
      throw new Error(`its ${what} is not JSON`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`its ${what} is not a JSON object`);
    return /** @type {Json} */ (v);
  };
  return {
    identities: raw.slice(0, at),
    signature: raw[at + 1].toString('ascii'),
    parts,
    header: json(0, 'header'),
    parent: json(1, 'parent header'),
    metadata: json(2, 'metadata'),
    content: json(3, 'content'),
    buffers: raw.slice(at + 6),
    // What tslab can verify: the same message without its buffers.
    withoutBuffers: raw.slice(0, at + 6),
  };
}

/**
 * @param {string} key
 * @param {Buffer[]} parts
 * @param {string} signature
 */
function signatureOk(key, parts, signature) {
  if (!key) return true; // Jupyter may run kernels unsigned (empty key)
  const hmac = createHmac('sha256', key);
  for (const p of parts) hmac.update(p);
  const want = hmac.digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * @param {unknown} v
 * @returns {v is string}
 */
function validId(v) {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;
}

/**
 * @param {unknown} b
 * @returns {Buffer}
 */
function toBuffer(b) {
  if (Buffer.isBuffer(b)) return b;
  if (b instanceof Uint8Array) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (b instanceof ArrayBuffer) return Buffer.from(b);
  throw new TypeError('comm buffers must be Uint8Array, Buffer or ArrayBuffer');
}

/**
 * Adds comms to tslab's ZmqServer (the `jupyter` module of tslab's dist). Returns the list of
 * internals that were missing (empty when comms work), and installs the registry when they work.
 * @param {{ ZmqServer?: { prototype: object } } | undefined} jupyter
 * @param {{ log?: Log, configPath?: string }} [options]
 * @returns {string[]}
 */
function installComms(jupyter, options = {}) {
  const Server = jupyter && jupyter.ZmqServer;
  const found = /** @type {Record<string, unknown> | undefined} */ (Server && Server.prototype);
  const missing = ['init', 'bindSocket', 'handleShellMessage'].filter((m) => typeof found?.[m] !== 'function');
  if (missing.length > 0) return missing.map((m) => `ZmqServer.prototype.${m}`);
  const proto = /** @type {ZmqServerMethods} */ (/** @type {unknown} */ (found));

  const log = options.log ?? makeLogger(process.stderr.write.bind(process.stderr));
  /** @type {Map<string, OpenHandler>} */
  const targets = new Map(); // name -> open handler
  /** @type {Map<string, Comm>} */
  const comms = new Map(); // comm id -> comm
  /** @type {SendStats} */
  const stats = { queuedBytes: 0 };
  /** @type {WeakMap<ZmqSocket, ZmqSocket>} */
  const proxies = new WeakMap(); // zeromq socket -> its queueing stand-in
  /** @type {ZmqServer} */
  let server; // the one ZmqServer of this kernel (set before any message is handled)
  const session = randomBytes(16).toString('hex');

  /**
   * @param {string} key
   * @param {Buffer[]} frames
   */
  function sign(key, frames) {
    const hmac = createHmac('sha256', key || '');
    for (const f of frames) hmac.update(f);
    return key ? hmac.digest('hex') : '';
  }

  /**
   * The frames of a signed message; `parent` is the header it answers (or the comm's opening message).
   * @param {Buffer[]} identities
   * @param {string} msgType
   * @param {Json | undefined} parent
   * @param {Json} content
   * @param {unknown[]} [buffers]
   * @returns {Frames}
   */
  function frames(identities, msgType, parent, content, buffers = []) {
    const header = {
      msg_id: randomBytes(16).toString('hex'), msg_type: msgType, session,
      username: typeof parent?.username === 'string' ? parent.username : 'kernel',
      date: new Date().toISOString(), version: '5.3',
    };
    const body = [JSON.stringify(header), JSON.stringify(parent ?? {}), '{}', JSON.stringify(content)].map((s) => Buffer.from(s));
    return [...identities, DELIM, Buffer.from(sign(server.connInfo.key, body)), ...body, ...buffers.map(toBuffer)];
  }

  /**
   * @param {ZmqSocket} sock
   * @param {Buffer[]} identities
   * @param {string} msgType
   * @param {Json | undefined} parent
   * @param {Json} content
   * @param {unknown[]} [buffers]
   */
  function send(sock, identities, msgType, parent, content, buffers) {
    return sock.send(frames(identities, msgType, parent, content, buffers));
  }

  /** @type {(msgType: string, parent: Json | undefined, content: Json, buffers?: unknown[]) => unknown} */
  const iopub = (msgType, parent, content, buffers) => send(server.iopub, [], msgType, parent, content, buffers);
  // Comm messages on iopub, kept under the server's rate limit (created once iopub is bound).
  /** @type {((frames: Frames) => unknown) | undefined} */
  let iopubBudgeted;
  /** @type {typeof iopub} */
  const commIopub = (msgType, parent, content, buffers) => {
    iopubBudgeted ??= rateBudgeted((f) => server.iopub.send(f), stats);
    return iopubBudgeted(frames([], msgType, parent, content, buffers));
  };

  /** @implements {KernelComm} */
  class Comm {
    /**
     * `replyTo`: the shell identities of the connection that opened it, for a comm that asked for replies on shell.
     * @param {string} id
     * @param {string} targetName
     * @param {Json} parent
     * @param {Buffer[] | undefined} replyTo
     */
    constructor(id, targetName, parent, replyTo) {
      this.id = id;
      this.replyTo = replyTo;
      this.targetName = targetName;
      this.closed = false;
      /** @type {KernelComm['onMessage']} */
      this.onMessage = null;
      /** @type {KernelComm['onClose']} */
      this.onClose = null;
      this.parent = parent; // the comm_open header: replies go to its session
    }

    /** Bytes waiting in the kernel's iopub and shell send queues (shared by every comm). */
    get bufferedAmount() {
      return stats.queuedBytes;
    }

    /**
     * @param {Json} data
     * @param {Uint8Array[]} [buffers]
     */
    send(data, buffers = []) {
      if (this.closed) return;
      if (!Array.isArray(buffers)) throw new TypeError('comm.send(data, buffers): buffers must be an array');
      this.#send('comm_msg', { comm_id: this.id, data: data ?? {} }, buffers);
    }

    /**
     * @param {string} msgType
     * @param {Json} content
     * @param {unknown[]} [buffers]
     */
    #send(msgType, content, buffers) {
      if (this.replyTo) send(server.shell, this.replyTo, msgType, this.parent, content, buffers);
      else commIopub(msgType, this.parent, content, buffers);
    }

    /** @param {Json} [data] */
    close(data = {}) {
      if (this.closed) return;
      this.#send('comm_close', { comm_id: this.id, data });
      this.#closed(data);
    }

    /**
     * Marks the comm closed (by us or the front end) and tells its owner once.
     * @param {Json} data
     */
    #closed(data) {
      if (this.closed) return;
      this.closed = true;
      comms.delete(this.id);
      const handler = this.onClose;
      this.onClose = null;
      this.onMessage = null;
      if (typeof handler === 'function') callUser(`comm ${this.id} close handler`, () => handler(data));
    }

    /** @param {Json} data */
    _closedByFrontEnd(data) {
      this.#closed(data);
    }
  }

  /**
   * @param {string} what
   * @param {() => void} fn
   */
  function callUser(what, fn) {
    try {
      fn();
    } catch (e) {
      log(`${what} threw: ${e?.stack ?? e}`);
    }
  }

  /**
   * @param {ZmqSocket} sock
   * @param {ReturnType<typeof parse>} msg
   */
  function handleComm(sock, msg) {
    const { header, content } = msg;
    const type = header.msg_type;
    if (type === 'comm_info_request') {
      const wanted = typeof content.target_name === 'string' ? content.target_name : undefined;
      /** @type {Record<string, { target_name: string }>} */
      const list = {};
      for (const c of comms.values()) if (wanted === undefined || c.targetName === wanted) list[c.id] = { target_name: c.targetName };
      send(sock, msg.identities, 'comm_info_reply', header, { status: 'ok', comms: list });
      return;
    }
    if (!validId(content.comm_id)) {
      log(`${type} without a valid comm_id (a string of 1..${MAX_ID} characters); ignored`);
      return;
    }
    const id = content.comm_id;
    const data = typeof content.data === 'object' && content.data !== null && !Array.isArray(content.data) ? /** @type {Json} */ (content.data) : {};
    if (type === 'comm_open') {
      const name = content.target_name;
      const open = typeof name === 'string' ? targets.get(name) : undefined;
      if (comms.has(id)) {
        log(`comm_open for comm id ${JSON.stringify(id)}, which is already open; ignored`);
        return;
      }
      if (!open && name === VIEW_TARGET) {
        // A view of a canvas from before this kernel started (a restart, saved outputs): dawn-rfb
        // registers the target when it serves its first canvas, so no canvas of this kernel
        // exists yet. Refused as src/remote/transport/comm-target.ts refuses an unknown canvas, so
        // the view stops retrying and says "kernel restarted: re-run the cell".
        iopub('comm_close', header, { comm_id: id, data: { code: UNKNOWN_CANVAS_CODE, reason: UNKNOWN_CANVAS_REASON } });
        return;
      }
      if (!open) {
        // As ipykernel does: the front end learns at once that nobody listens.
        log(`comm_open for unknown target ${JSON.stringify(String(name).slice(0, 64))}; closing it (targets: ${[...targets.keys()].join(', ') || 'none'})`);
        commIopub('comm_close', header, { comm_id: id, data: {} });
        return;
      }
      const comm = new Comm(id, /** @type {string} */ (name), header, msg.metadata[REPLY_ON_SHELL] === true ? msg.identities : undefined);
      comms.set(id, comm);
      callUser(`comm target ${name}`, () => open(comm, data, msg.buffers));
      return;
    }
    const comm = comms.get(id);
    if (!comm) {
      log(`${type} for unknown comm id ${JSON.stringify(id.slice(0, 64))} (closed, or never opened); ignored`);
      return;
    }
    if (type === 'comm_close') {
      comm._closedByFrontEnd(data);
      return;
    }
    const handler = comm.onMessage;
    if (typeof handler === 'function') callUser(`comm ${id} message handler`, () => handler(data, msg.buffers));
  }

  const bindSocket = proto.bindSocket;
  /** @type {ZmqServerMethods['bindSocket']} */
  proto.bindSocket = function (sock, port) {
    server = this;
    if (sock === this.iopub) {
      try {
        sock.sendHighWaterMark = IOPUB_HIGH_WATER_MARK;
      } catch (e) {
        log(`could not raise the iopub high-water mark: ${e?.message ?? e}`);
      }
    }
    // tslab sends through these properties (and the shell handler gets the socket itself, which
    // handleShellMessage below swaps for its stand-in).
    for (const name of /** @type {const} */ (['iopub', 'shell', 'control'])) {
      if (sock === this[name] && !proxies.has(sock)) {
        const proxy = queueSends(sock, name === 'control' ? { queuedBytes: 0 } : stats, log, name);
        proxies.set(sock, proxy);
        this[name] = proxy;
      }
    }
    // tslab neither awaits nor catches its binds: a port taken by another program left a kernel
    // that logged EADDRINUSE and could never answer (a runner waited out its whole start
    // timeout). It exits instead, as ipykernel does, with a code that says why.
    return Promise.resolve(bindSocket.call(this, sock, port)).catch((/** @type {unknown} */ e) => {
      const err = /** @type {{ code?: unknown, message?: unknown } | undefined} */ (e);
      const inUse = err?.code === 'EADDRINUSE';
      log(`could not listen on port ${port}${inUse ? ' (another program has it)' : ''}: ${String(err?.message ?? e)}; the kernel exits`);
      process.exit(inUse ? PORT_IN_USE_EXIT_CODE : 1);
    });
  };

  const handleShellMessage = proto.handleShellMessage;
  /** @type {ZmqServerMethods['handleShellMessage']} */
  proto.handleShellMessage = async function (socket, ...raw) {
    server = this;
    const sock = proxies.get(socket) ?? socket;
    /** @type {ReturnType<typeof parse>} */
    let msg;
    try {
      msg = parse(raw);
    } catch (e) {
      log(`malformed message on the shell channel (${e.message}); ignored`);
      return;
    }
    if (!signatureOk(this.connInfo.key, msg.parts, msg.signature)) {
      log(`message with an invalid signature (msg_type ${JSON.stringify(String(msg.header.msg_type).slice(0, 40))}); ignored`);
      return;
    }
    const type = typeof msg.header.msg_type === 'string' ? msg.header.msg_type : ''; // '' goes on to tslab, as any non-comm type
    if (!COMM_TYPES.has(type)) {
      if (type === 'shutdown_request') await closeAll();
      return handleShellMessage.call(this, sock, ...msg.withoutBuffers);
    }
    if (type === 'comm_msg' && msg.metadata[NO_STATUS] === true) {
      handleComm(sock, msg);
      return;
    }
    iopub('status', msg.header, { execution_state: 'busy' });
    try {
      handleComm(sock, msg);
    } finally {
      iopub('status', msg.header, { execution_state: 'idle' });
    }
  };

  async function closeAll() {
    for (const comm of [...comms.values()]) comm.close({ code: 1001, reason: 'the kernel is shutting down' });
    for (const name of /** @type {const} */ (['iopub', 'shell'])) if (typeof server?.[name]?.drained === 'function') await server[name].drained();
  }

  const kernelId = /kernel-([^/\\]+)\.json$/.exec(options.configPath ?? '')?.[1];
  /** @type {KernelComms & { readonly openComms: number }} */
  const registry = Object.freeze({
    version: /** @type {const} */ (1),
    kernelId,
    /**
     * @param {string} name
     * @param {OpenHandler} open
     */
    registerTarget(name, open) {
      if (typeof name !== 'string' || name === '' || typeof open !== 'function') {
        throw new TypeError('registerTarget(name, open): a non-empty target name and a function (comm, data, buffers) => void');
      }
      targets.set(name, open);
    },
    /** @param {string} name */
    unregisterTarget(name) {
      targets.delete(name);
    },
    get openComms() {
      return comms.size;
    },
  });
  /** @type {Record<symbol, unknown>} */ (globalThis)[REGISTRY] = registry;
  return [];
}

module.exports = { installComms, REGISTRY, NO_STATUS, REPLY_ON_SHELL, IOPUB_BUDGET, rateBudgeted };

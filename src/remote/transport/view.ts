// One view of a RemoteCanvas: its channel (a websocket or a comm), its frame accounting (sent,
// acknowledged, the newest frame waiting for room), its size, visibility and display rate, and its
// statistics. What a view's messages may cost is counted in rate-window.ts (messages a second)
// and byte-rate.ts (bytes a second); the windows its statistics are taken over, in stats-window.ts.
// Each view accounts for itself, so a slow view never holds back a fast one. A view handles what
// concerns only its connection itself: its size reports and its own close never go through the
// canvas's public handleEvent.
import { reportError } from '../../report.js';
import { AdaptiveRate, type AdaptiveState } from './adaptive.js';
import { ByteRate, MAX_ACK_LENGTH, messageBytes } from './byte-rate.js';
import { RateWindow } from './rate-window.js';
import { RecentMean, TimeWindow } from './stats-window.js';
import type { ViewChannel } from './channel.js';
import {
  CloseCode, parseClientMessage, ProtocolError,
  type ClientMessage, type ResizeEvent, type ServerMessage, type VideoCodecName, type WireEvent,
} from '../protocol.js';

/** A frame message ready to send to any view. */
export interface FrameMessage {
  index: number;
  /** Header + image. */
  data: Uint8Array;
  lossless: boolean;
  /** For a partial frame (dirty tiles): the index of the message it is drawn onto. */
  baseIndex?: number;
}

/** Statistics of one view. */
export interface ViewStats {
  /** The view's id (also in its hello message), e.g. "v3". */
  id: string;
  /** Open and not reported hidden. */
  visible: boolean;
  /** Frame messages sent to this view. */
  framesSent: number;
  /** Frames it acknowledged (an ack also settles the older frames it skipped: counted once). */
  framesAcked: number;
  /**
   * Frames it showed: acknowledged as drawn on its canvas (not skipped undrawn for a newer frame).
   * A frame drawn there shows at the page's next repaint; the canvas's pacing to the view's
   * display (`displayHz`) keeps two frames from landing between two repaints.
   */
  framesShown: number;
  /** Frames replaced by a newer one before they could be sent (the view was behind). */
  framesDropped: number;
  /** Frames it showed (see `framesShown`) in the last second: one-second window ending now. */
  fps: number;
  /**
   * Frames the canvas drew for it in the last second (the same window): every frame offered to it,
   * sent or dropped for a newer one, lossless refreshes included. `drawnFps` well above `fps`
   * is work the view never showed.
   */
  drawnFps: number;
  /** The refresh rate of its display as it reported it, Hz; absent until it reports one. */
  displayHz?: number;
  /** Mean time from send to acknowledgement over the last 30 frames, ms. */
  roundtripMs: number;
  /** Frames it may have in flight now (unacknowledged or encoding): the adaptive window, or `maxBufferedFrames`. */
  window: number;
  /** Bytes sent in the last second. */
  bytesPerSecond: number;
  /** The adaptive controller's decision (window, quality, scale) and measurements; absent when off. */
  adaptive?: AdaptiveState;
}

/** A view's size as it last reported it. */
export type ViewSize = Omit<ResizeEvent, 'type' | 'timestamp'>;

/** An event a view passes on to its canvas: all but `resize` and `close`, which the view handles. */
export type ViewInputEvent = Exclude<WireEvent, { type: 'resize' | 'close' }>;

/** What a view reports to its canvas. */
export interface ViewHooks {
  /** An input event for the canvas's handlers. */
  onEvent(view: View, event: ViewInputEvent): void;
  /** The view reported a size (`becameVisible`: it had reported 0x0, hidden, before). */
  onResize(view: View, becameVisible: boolean): void;
  /** A frame was acknowledged (room for another). */
  onAck(view: View): void;
  /** The view closed (either side); called once. */
  onClose(view: View): void;
  /** The view reported a new refresh rate of its display (see {@link View.displayHz}). */
  onDisplay?(view: View): void;
  /** The view announced the video codecs it decodes (see {@link View.decodes}). */
  onCodecs?(view: View): void;
  /** The view's video decoder lost its state: its next video frame must be a keyframe. */
  onKeyframeRequest?(view: View): void;
}

// Bytes the channel may hold unsent before the view counts as full even within maxBufferedFrames.
const MAX_CHANNEL_BUFFER = 16 * 1024 * 1024;
// Distinct bad messages reported per view: each report names what was wrong, and a view sending
// endless different garbage must not flood the notebook's output.
const MAX_BAD_REPORTS = 10;
const ACK_PREFIX = '{"type":"ack"';

/**
 * Keyframe requests a view may make per second (a decoder that lost its state asks once; the
 * newest frame then goes again as a keyframe, a whole encode); more are ignored, and the view
 * gets its encoder's scheduled keyframes as before.
 */
export const MAX_KEYFRAME_REQUESTS_PER_SECOND = 10;

// Partial frames that may wait behind a whole one; beyond that a whole frame is cheaper.
const MAX_PENDING_PATCHES = 8;

let nextViewId = 1;

// The window of the per-second statistics (fps, drawnFps, bytesPerSecond), ms.
const STATS_WINDOW_MS = 1000;
// Roundtrips the mean roundtrip is taken over.
const ROUNDTRIPS_KEPT = 30;

/**
 * How long a view's oldest frame may go unacknowledged before {@link View.stalled} says so; a
 * view whose frames take longer than that to come back (a slow link) gets 4x its roundtrip.
 */
export const STALLED_AFTER_MS = 2000;

/** A view (one connection) of a canvas. */
export class View {
  readonly id = `v${nextViewId++}`;
  readonly channel: ViewChannel;
  /** Frames this view may have unacknowledged (the canvas's `maxBufferedFrames`) without adaptation. */
  readonly maxBufferedFrames: number;
  readonly #hooks: ViewHooks;
  readonly #unacked = new Map<number, number>(); // index -> sent at (ms)
  #size: ViewSize | undefined;
  /** Frames waiting for room: the newest whole frame, and the partial frames that build on it. */
  #pending: FrameMessage[] = [];
  #lastSent = 0;
  /** Newest frame acknowledged: an ack at or below it was settled already (late or repeated). */
  #highestAcked = 0;
  #lastOffered = 0;
  #open = true;
  #sent = 0;
  #acked = 0;
  #shown = 0;
  #dropped = 0;
  #displayHz: number | undefined;
  #decodes: readonly VideoCodecName[] = [];
  readonly #shownTimes = new TimeWindow(STATS_WINDOW_MS);
  readonly #offerTimes = new TimeWindow(STATS_WINDOW_MS);
  readonly #sentBytes = new TimeWindow(STATS_WINDOW_MS);
  readonly #roundtrips = new RecentMean(ROUNDTRIPS_KEPT);
  // Events per second a view may send (a 240 Hz mouse with every event type is well below).
  readonly #rate = new RateWindow();
  // Keyframe requests honoured per second: each makes the newest frame go again as a keyframe.
  readonly #keyframeRequests = new RateWindow(MAX_KEYFRAME_REQUESTS_PER_SECOND);
  #badReports = 0;
  readonly #bytes = new ByteRate();

  /** Decides frames in flight, quality and scale from this view's acknowledgements (undefined: off). */
  readonly adaptive: AdaptiveRate | undefined;

  /** `adaptive`: adapt to the link, starting from (and never below) the view's `maxBufferedFrames` and this quality. */
  constructor(channel: ViewChannel, hooks: ViewHooks, maxBufferedFrames: number, adaptive?: { quality: number }) {
    this.channel = channel;
    this.#hooks = hooks;
    this.maxBufferedFrames = maxBufferedFrames;
    this.adaptive = adaptive ? new AdaptiveRate({ baseWindow: maxBufferedFrames, quality: adaptive.quality }) : undefined;
    channel.onMessage((data) => this.#onMessage(data));
    channel.onClose(() => this.#onClose());
  }

  /** Logical and physical size last reported; undefined until the first resize. */
  get size(): Readonly<ViewSize> | undefined {
    return this.#size;
  }

  /** Open, and not reported hidden (a 0x0 size). */
  get visible(): boolean {
    return this.#open && (this.#size === undefined || (this.#size.pwidth > 0 && this.#size.pheight > 0));
  }

  /** The refresh rate of the view's display as it last reported it (Hz); undefined until then. */
  get displayHz(): number | undefined {
    return this.#displayHz;
  }

  /** The video codecs the view announced it decodes (a codecs message); none until then. */
  get decodes(): readonly VideoCodecName[] {
    return this.#decodes;
  }

  /** False once closed, by either side. */
  get open(): boolean {
    return this.#open;
  }

  /** Frames sent and not yet acknowledged. */
  get unacked(): number {
    return this.#unacked.size;
  }

  /**
   * Whether another frame may be sent now, `extra` frames (still encoding) counted in: the one
   * place the backpressure decision is made, for sending and for drawing alike. A refusal by
   * the window is a frame held back, which the adaptive controller hears of, unless `held` is
   * false (a question, not a draw or a send).
   */
  hasRoom(extra = 0, held = true): boolean {
    if (!this.visible || this.channel.bufferedAmount >= MAX_CHANNEL_BUFFER) return false;
    if (this.#unacked.size + extra < this.window) return true;
    if (held) this.adaptive?.onWindowFull();
    return false;
  }

  /**
   * Frames this view may have in flight (unacknowledged or encoding): the adaptive controller's
   * window, or `maxBufferedFrames` without it.
   */
  get window(): number {
    return this.adaptive?.state().window ?? this.maxBufferedFrames;
  }

  /**
   * When this view counts as stalled if nothing comes back: its oldest unacknowledged frame's
   * send time plus `STALLED_AFTER_MS` (or 4x its mean roundtrip, if longer); undefined while
   * nothing is unacknowledged. A stalled view shows nothing of what it gets: an output a front end
   * mounted and left behind, or one whose close never reached the kernel (jupyter_server drops a
   * comm_close that its websocket's close overtakes: seen in Notebook 7), or a tab gone without a
   * word on the Jupyter path, where no socket closes in the kernel. It must not decide the
   * canvas's size or pace.
   */
  stalledAt(): number | undefined {
    for (const sentAt of this.#unacked.values()) { // oldest first
      return sentAt + Math.max(STALLED_AFTER_MS, 4 * this.#roundtrips.mean);
    }
    return undefined;
  }

  /** Whether {@link stalledAt} has passed at `now`. */
  stalled(now = performance.now()): boolean {
    const at = this.stalledAt();
    return at !== undefined && now >= at;
  }

  /** Index of the newest frame offered to this view (sent or waiting for room); 0 for none. */
  get lastOffered(): number {
    return this.#lastOffered;
  }

  /**
   * Sends the frame now if there is room, else keeps it to send next: a whole frame replaces
   * whatever waits (newest wins), a partial frame waits behind the frame it builds on. Returns
   * false for a partial frame this view cannot use (it did not get its base frame, or too many
   * wait): the view then needs a whole frame.
   */
  offer(frame: FrameMessage): boolean {
    if (!this.#open) return true;
    if (frame.baseIndex !== undefined) {
      const last = this.#pending.length > 0 ? this.#pending[this.#pending.length - 1]!.index : this.#lastSent;
      if (last !== frame.baseIndex || this.#pending.length >= MAX_PENDING_PATCHES) return false;
    } else {
      this.#dropped += this.#pending.length;
      this.#pending = [];
    }
    this.#lastOffered = frame.index;
    this.#offerTimes.add(performance.now());
    this.#pending.push(frame);
    this.#sendPending();
    return true;
  }

  /**
   * Sends what waits, in order, while there is room. Called wherever room can appear: an ack, a
   * size that makes the view visible again, an offer (a channel buffer that drained). Not only on
   * acks: when they came while the view was hidden, the frame kept for it stayed kept, and every
   * later offer only replaced it, with nothing in flight to bring an ack (seen in JupyterLab 3.6:
   * a drag's twelve frames, none sent).
   */
  #sendPending(): void {
    while (this.#pending.length > 0 && this.hasRoom()) this.#send(this.#pending.shift()!);
  }

  /** Sends a JSON control message. */
  sendJson(message: ServerMessage): void {
    if (this.#open) this.channel.send(JSON.stringify(message));
  }

  /** Closes the connection. */
  close(code: number, reason: string): void {
    this.channel.close(code, reason);
    this.#onClose();
  }

  /** This view's statistics now. */
  stats(): ViewStats {
    const now = performance.now();
    return {
      id: this.id,
      visible: this.visible,
      framesSent: this.#sent,
      framesAcked: this.#acked,
      framesShown: this.#shown,
      framesDropped: this.#dropped,
      fps: this.#shownTimes.count(now),
      drawnFps: this.#offerTimes.count(now),
      ...(this.#displayHz !== undefined ? { displayHz: this.#displayHz } : {}),
      roundtripMs: this.#roundtrips.mean,
      window: this.window,
      bytesPerSecond: this.#sentBytes.sum(now),
      ...(this.adaptive ? { adaptive: this.adaptive.state() } : {}),
    };
  }

  #send(frame: FrameMessage): void {
    const now = performance.now();
    this.#unacked.set(frame.index, now);
    this.#sent++;
    this.#lastSent = frame.index;
    this.#sentBytes.add(now, frame.data.length);
    this.adaptive?.onSent(frame.index);
    this.channel.send(frame.data);
  }

  #ack(index: number, skipped: boolean, heldMs: number | undefined): void {
    const sentAt = this.#unacked.get(index);
    if (sentAt === undefined) {
      this.#reportBad(new ProtocolError(index <= this.#highestAcked
        ? 'acknowledgement of a frame already settled by a later one (acknowledge frames in order; ignored)'
        : 'acknowledgement of a frame that was not sent to it (ignored)'));
      return;
    }
    this.#highestAcked = index;
    // Frames are acknowledged in order; an ack also settles older frames (the widget skipped them).
    for (const i of [...this.#unacked.keys()]) if (i <= index) this.#unacked.delete(i);
    this.adaptive?.onAck(index, !skipped, heldMs);
    const now = performance.now();
    this.#acked++;
    if (!skipped) {
      this.#shown++;
      this.#shownTimes.add(now);
    }
    this.#roundtrips.add(now - sentAt);
    this.#sendPending();
    this.#hooks.onAck(this);
  }

  #onMessage(data: string | Uint8Array): void {
    if (!this.#open) return;
    // An ack (the widget sends `{"type":"ack","index":N}`) is exempt from the rates, so only a
    // short one counts as an ack: a long message starting that way is refused unparsed.
    const ackLike = typeof data === 'string' && data.startsWith(ACK_PREFIX);
    const isAck = ackLike && data.length <= MAX_ACK_LENGTH;
    if (!this.#withinBytes(data) && !isAck) return;
    // Over the rate, whatever is not an ack is dropped unparsed: parsing is most of what a flood
    // costs the kernel.
    if (this.#rate.exceeded() && !isAck) return;
    let message: ClientMessage;
    try {
      if (typeof data !== 'string') throw new ProtocolError('views send JSON text messages only');
      if (ackLike && !isAck) throw new ProtocolError(`an ack message is at most ${MAX_ACK_LENGTH} characters ({"type":"ack","index":N}); this one has ${data.length} (ignored unparsed)`);
      message = parseClientMessage(data);
    } catch (e) {
      // Logged once per kind of problem, then ignored: a bad message never closes the view. Bad
      // messages count against the rate like events.
      if (this.#withinRate()) this.#reportBad(e instanceof ProtocolError ? e : new ProtocolError(String(e)));
      return;
    }
    // Acks are never rate limited: they are bounded by the frames sent, and a dropped ack would
    // stall this view for good.
    if (message.type === 'ack') this.#ack(message.index, message.skipped === true, message.heldMs);
    else if (!this.#withinRate()) return;
    else if (message.type === 'display') this.#onDisplay(message.hz);
    else if (message.type === 'codecs') {
      // The same codecs again say nothing new: no frame is sent again for them.
      if (message.decode.length === this.#decodes.length && message.decode.every((c, i) => c === this.#decodes[i])) return;
      this.#decodes = message.decode;
      this.#hooks.onCodecs?.(this);
    } else if (message.type === 'keyframe') {
      if (this.#decodes.length === 0) this.#reportBad(new ProtocolError('a keyframe request from a view that announced no video codec (send a codecs message first; ignored)'));
      else if (!this.#keyframeRequests.take().ok) {
        this.#reportBad(new ProtocolError(`more than ${MAX_KEYFRAME_REQUESTS_PER_SECOND} keyframe requests in a second (each makes a whole frame's encode; the rest of that second's are ignored)`));
      } else this.#hooks.onKeyframeRequest?.(this);
    } else this.#onEvent(message.event);
  }

  #onDisplay(hz: number): void {
    if (hz === this.#displayHz) return;
    this.#displayHz = hz;
    this.#hooks.onDisplay?.(this);
  }

  #onEvent(event: WireEvent): void {
    try {
      if (event.type === 'resize') {
        const wasVisible = this.visible;
        const { type: _, timestamp: __, ...size } = event;
        this.#size = size;
        this.#hooks.onResize(this, !wasVisible && this.visible);
        if (this.visible) this.#sendPending();
      } else if (event.type === 'close') {
        // One view leaving is not the canvas closing.
        this.close(CloseCode.normal, 'view closed');
      } else {
        this.#hooks.onEvent(this, event);
      }
    } catch (e) {
      reportError(`view ${this.id} event`, e);
    }
  }

  #reportBad(error: ProtocolError): void {
    if (this.#badReports > MAX_BAD_REPORTS) return;
    if (this.#badReports === MAX_BAD_REPORTS) {
      this.#badReports++;
      reportError(`view ${this.id}`, new ProtocolError(`${MAX_BAD_REPORTS} kinds of bad messages reported; further bad messages from this view are not reported (they are still ignored)`));
      return;
    }
    if (reportError(`view ${this.id} sent a bad message`, error)) this.#badReports++;
  }

  /**
   * Counts the message's bytes against this view's budget per second; over it, the message is
   * dropped unparsed, as over the message rate (and reported once a second, the same way).
   */
  #withinBytes(data: string | Uint8Array): boolean {
    const taken = this.#bytes.take(messageBytes(data));
    if (!taken.ok && taken.first) {
      reportError(`view ${this.id}`, new ProtocolError(`more than ${this.#bytes.max} bytes of messages in a second; dropping the rest of this second`));
    }
    return taken.ok;
  }

  /** Counts a message against this view's rate; over it, false (and reported once a second). */
  #withinRate(): boolean {
    const taken = this.#rate.take();
    if (!taken.ok && taken.first) {
      reportError(`view ${this.id}`, new ProtocolError(`more than ${this.#rate.max} events in a second; dropping the rest of this second`));
    }
    return taken.ok;
  }

  #onClose(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#pending = [];
    this.#hooks.onClose(this);
  }
}

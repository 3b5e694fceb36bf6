// Adaptive frame rate control for one view, from what its acknowledgements say about the link
// (the way WebRTC's congestion control and TCP's AIMD do it, at frame granularity):
// - roundtrip samples (send -> ack) give the base delay (the minimum over the last 10 s) and the
//   queueing delay (smoothed roundtrip minus the base): a growing queue means frames are sent
//   faster than the link or the client takes them; less the time the view says it held each
//   frame (waiting, decoding, drawing), the same minimum is the link's own delay, and a link with
//   real delay is one where that is >= LONG_LINK_MS (a browser on a loaded machine can hold every
//   frame 20 ms and more: that is a busy client on a short link, not a long link), judged on
//   LINK_EVIDENCE_MS of acknowledgements at least (the first frames to a page still loading can
//   each wait longer than that before the view even sees them: a loaded CI run took a loopback
//   view for a long link from its first acknowledgements, and `codec: 'auto'` sent it video);
// - queueing: first fewer frames in flight (halve the window), then, over a link with real
//   delay, lower JPEG/WebP quality, then a lower resolution scale; so
//   the queue never grows (over a short link a queue means a busy CPU, which a smaller picture
//   does not relieve);
// - the delivery rate: while the window is full (the link or the client, not the renderer, sets
//   the pace), the interval between acknowledgements is the time the link takes per frame; over
//   a link with real delay, fewer than MIN_LINK_FPS frames per second with frames queueing behind
//   each other is congestion too, even when the queue is below the delay threshold (that scales
//   with the base roundtrip, which big frames inflate: a full window of them keeps the roundtrip
//   steady but slow); one frame in flight shows no queue, so there only the delay rule applies;
// - a clear link for a while: back up in the reverse order (a step up is a probe: one that
//   congests again within PROBE_MS doubles the wait before the next, as TCP backs off its
//   retries, so a link that only just carries the lower level does not flap), and, over a link
//   with real delay, more frames in flight (one more every probe), so a long link is
//   not limited to `baseWindow` frames per roundtrip;
// - over a short link, a window that holds frames back (the view reports each draw or send it
//   refused) is probed too: one frame more, kept only if at least MIN_STEP_GAIN more frames are
//   shown within STEP_PROOF_MS, else taken back, the next probe waiting twice as long (as BBR grows
//   its window only while the delivery rate grows). A fast machine's pipeline (draw, encode,
//   roundtrip) can take longer than the frames it could show (measured on an H200 machine at
//   1920x1080: 244 fps with 2 frames in flight, 304 with 3); where the CPU is the limit, a
//   frame more only waits in a queue, and the probe finds that out and takes it back.
// It only decides; the view and the frame stream apply the decisions. Pure: no I/O, the clock
// is injectable for tests.

/** Options of {@link AdaptiveRate}. */
export interface AdaptiveRateOptions {
  /** Frames in flight when the link is short or congested (the canvas's `maxBufferedFrames`). */
  baseWindow: number;
  /** The quality when the link has room (1..100; 100 = lossless, then only the scale adapts). */
  quality: number;
}

/** What the controller decided last, with what it measured (for stats). */
export interface AdaptiveState {
  /** Frames this view may have in flight. */
  window: number;
  /** Quality to encode with (the configured one when the link has room). */
  quality: number;
  /** Resolution scale 0 < s <= 1 to encode at (1 when the link has room). */
  scale: number;
  /** Minimum roundtrip over the last 10 s, ms. */
  baseRttMs: number;
  /**
   * Minimum over the last 10 s of the roundtrip less the time the view held the frame (its
   * ack's `heldMs`: waiting, decoding, drawing), ms: the link's own delay.
   */
  linkRttMs: number;
  /**
   * The link has real delay (`linkRttMs` >= LONG_LINK_MS, once acknowledgements came back over
   * LINK_EVIDENCE_MS): extra frames in flight are worth it, and a smaller picture helps a queue.
   * Over a shorter one (loopback, a LAN) a queue is a busy CPU.
   */
  longLink: boolean;
  /** Smoothed roundtrip minus the base, ms. */
  queueDelayMs: number;
  /**
   * Smoothed ms between acknowledgements while the window is full (the link or the client sets
   * the pace, not the renderer); 0 while it is not.
   */
  paceMs: number;
}

const BASE_WINDOW_MS = 10_000;
/** Queueing beyond this (or half the base roundtrip, whichever is larger) is congestion. */
const MIN_QUEUE_THRESHOLD_MS = 40;
/** Decisions are at least this far apart, so one decision's effect shows before the next. */
const HOLD_MS = 250;
/** A link must be clear this long before stepping back up. */
const RECOVER_MS = 1000;
/** A link with this much base delay is a real one: extra frames in flight are worth it, and a smaller picture helps a queue. */
export const LONG_LINK_MS = 20;
/** A link counts as long only once acknowledgements came back over this long (see the file's header). */
export const LINK_EVIDENCE_MS = 1000;
const MAX_WINDOW = 8;
const QUALITY_STEPS = [0, 15, 30, 45];
const MIN_QUALITY = 30;
const SCALES = [1, 0.75, 0.5];
/** Over a long link, fewer frames per second than this (window full) means the frames are too big. */
const MIN_LINK_FPS = 12;
/** A step back up that congests within this time failed: the next waits twice as long. */
const PROBE_MS = 3000;
const MAX_RECOVER_MS = 16_000;
/** Consecutive acknowledgements with the window full before the delivery rate counts. */
const FULL_ACKS = 3;
/** A probe of one frame more in flight over a short link is judged this long after it is taken... */
const STEP_PROOF_MS = 1000;
/** ...and kept if at least this share more frames are then shown (than in as long before it). */
const MIN_STEP_GAIN = 0.05;

/** Decides window, quality and scale for one view from its acknowledgements. */
export class AdaptiveRate {
  readonly #baseWindow: number;
  readonly #qualities: number[];
  readonly #clock: () => number;
  readonly #sent = new Map<number, number>(); // index -> sent at
  readonly #samples: [number, number, boolean, number][] = []; // [at, rtt, shown, rtt less held] within BASE_WINDOW_MS
  #srtt: number | undefined;
  #lastAckAt: number | undefined;
  #firstAckAt: number | undefined;
  #ackInterval: number | undefined; // smoothed ms between acknowledgements
  #fullAcks = 0; // consecutive acknowledgements that found the window full
  #window: number;
  #qualityLevel = 0;
  #scaleLevel = 0;
  #lastDecision = -Infinity;
  #clearSince: number | undefined;
  #recoverMs = RECOVER_MS;
  #probeAt: number | undefined; // when the last step back up was taken, until it proves itself
  #heldSinceAck = false; // the window held a frame back since the last acknowledgement
  #heldAcks = 0; // consecutive acknowledgements after which the window had held frames back
  #windowStep: { at: number; shown: number } | undefined; // a short link's probe (frames shown in the STEP_PROOF_MS before it), until judged
  #windowWaitMs = RECOVER_MS; // before the next probe after one that did not pay
  #windowHoldUntil = -Infinity;
  #windowSetAt = -Infinity; // when the window last changed

  constructor(options: AdaptiveRateOptions, clock: () => number = () => performance.now()) {
    this.#baseWindow = options.baseWindow;
    this.#window = options.baseWindow;
    this.#clock = clock;
    // Lossless frames have no quality to lower; the scale still adapts.
    this.#qualities = options.quality >= 100 ? [100]
      : [...new Set(QUALITY_STEPS.map((s) => Math.max(Math.min(MIN_QUALITY, options.quality), options.quality - s)))];
  }

  /** The current decision and measurements. */
  state(): AdaptiveState {
    const base = this.#minRtt(1);
    return {
      window: this.#window,
      quality: this.#qualities[this.#qualityLevel]!,
      scale: SCALES[this.#scaleLevel]!,
      baseRttMs: base,
      linkRttMs: this.#minRtt(3),
      longLink: this.#longLink(),
      queueDelayMs: this.#srtt === undefined ? 0 : Math.max(0, this.#srtt - base),
      paceMs: this.#fullAcks >= FULL_ACKS ? this.#ackInterval ?? 0 : 0,
    };
  }

  /**
   * Back to the configured quality and full size, keeping the window and what was measured of
   * the link: the view's frames changed kind (stills to video), so the steps taken for the old
   * kind's sizes say nothing of the new one's.
   */
  restorePicture(): void {
    this.#qualityLevel = 0;
    this.#scaleLevel = 0;
    this.#probeAt = undefined;
    this.#clearSince = undefined;
  }

  /**
   * The window held a frame back: a draw or a send waited because this view had `window` frames
   * in flight (encoding included).
   */
  onWindowFull(): void {
    this.#heldSinceAck = true;
  }

  /** Frame `index` went out to the view. */
  onSent(index: number): void {
    this.#sent.set(index, this.#clock());
  }

  /**
   * The view acknowledged frame `index` (and, with it, every older one); `shown` false: it
   * skipped the frame undrawn for a newer one (a probe counts only frames shown); `heldMs`: how
   * long the view said it held the frame (0 when it did not say).
   */
  onAck(index: number, shown = true, heldMs = 0): void {
    const sentAt = this.#sent.get(index);
    const inFlight = this.#sent.size;
    for (const i of [...this.#sent.keys()]) if (i <= index) this.#sent.delete(i);
    if (sentAt === undefined) return;
    const now = this.#clock();
    this.#fullAcks = inFlight >= this.#window ? this.#fullAcks + 1 : 0;
    this.#heldAcks = this.#heldSinceAck ? this.#heldAcks + 1 : 0;
    this.#heldSinceAck = false;
    if (this.#lastAckAt !== undefined) {
      const interval = now - this.#lastAckAt;
      this.#ackInterval = this.#ackInterval === undefined ? interval : 0.75 * this.#ackInterval + 0.25 * interval;
    }
    this.#lastAckAt = now;
    this.#firstAckAt ??= now;
    const rtt = now - sentAt;
    this.#samples.push([now, rtt, shown, Math.max(0, rtt - heldMs)]);
    while (this.#samples.length > 0 && this.#samples[0]![0] < now - BASE_WINDOW_MS) this.#samples.shift();
    this.#srtt = this.#srtt === undefined ? rtt : 0.75 * this.#srtt + 0.25 * rtt;
    this.#decide(now);
  }

  /** Frames acknowledged as shown at or after `from` (within the last BASE_WINDOW_MS). */
  #shownSince(from: number): number {
    let n = 0;
    for (let i = this.#samples.length - 1; i >= 0 && this.#samples[i]![0] >= from; i--) if (this.#samples[i]![2]) n++;
    return n;
  }

  /** The minimum of a sample field (1: the roundtrip, 3: less the time held) over the samples, 0 without any. */
  #minRtt(field: 1 | 3): number {
    let min = Infinity;
    for (const sample of this.#samples) min = Math.min(min, sample[field]);
    return Number.isFinite(min) ? min : 0;
  }

  /** The link has real delay, on enough evidence (see the file's header). */
  #longLink(): boolean {
    if (this.#firstAckAt === undefined || this.#clock() - this.#firstAckAt < LINK_EVIDENCE_MS) return false;
    return this.#minRtt(3) >= LONG_LINK_MS;
  }

  #decide(now: number): void {
    if (now - this.#lastDecision < HOLD_MS || this.#srtt === undefined) return;
    const base = this.#minRtt(1);
    const threshold = Math.max(MIN_QUEUE_THRESHOLD_MS, base / 2);
    const queue = this.#srtt - base;
    const longLink = this.#longLink();
    // The link's pace, when the window is full (otherwise the renderer sets it): ms per frame.
    const linkPace = this.#fullAcks >= FULL_ACKS ? this.#ackInterval ?? 0 : 0;
    // Slow frames with a flat roundtrip are the link's latency over a small window (more frames in
    // flight help, a smaller picture would not); with frames queueing behind each other, the
    // link's bandwidth (a smaller picture helps).
    const tooSlow = longLink && linkPace > 1000 / MIN_LINK_FPS && queue > linkPace / 4;
    if (queue > threshold || tooSlow) {
      this.#clearSince = undefined;
      this.#lastDecision = now;
      if (this.#probeAt !== undefined) this.#recoverMs = Math.min(MAX_RECOVER_MS, 2 * this.#recoverMs);
      this.#probeAt = undefined;
      // A probe of the window that queues frames failed as surely as one that shows none more.
      if (this.#windowStep !== undefined) this.#holdWindowProbes(now);
      this.#windowStep = undefined;
      if (this.#window > this.#baseWindow) this.#setWindow(Math.max(this.#baseWindow, Math.floor(this.#window / 2)), now);
      // Over a short link (loopback, a LAN) a queue means a busy CPU, not a full link: a smaller
      // picture would not help it (the resize costs CPU too), so only the window gives way.
      else if (!longLink) return;
      else if (this.#qualityLevel < this.#qualities.length - 1) this.#qualityLevel++;
      else if (this.#scaleLevel < SCALES.length - 1) this.#scaleLevel++;
      return;
    }
    if (this.#windowStep !== undefined && now - this.#windowStep.at >= STEP_PROOF_MS) {
      this.#judgeWindowStep(now);
      return;
    }
    if (queue > threshold / 2) {
      this.#clearSince = undefined;
      return;
    }
    if (!longLink && this.#heldAcks >= FULL_ACKS && this.#window < MAX_WINDOW && this.#probeWindow(now)) return;
    if (this.#probeAt !== undefined && now - this.#probeAt >= PROBE_MS) {
      this.#recoverMs = RECOVER_MS;
      this.#probeAt = undefined;
    }
    this.#clearSince ??= now;
    if (now - this.#clearSince < this.#recoverMs) return;
    this.#lastDecision = now;
    // Each step back up in picture quality needs another clear spell; the window probes faster.
    if (this.#scaleLevel > 0 || this.#qualityLevel > 0) {
      if (this.#scaleLevel > 0) this.#scaleLevel--;
      else this.#qualityLevel--;
      this.#clearSince = now;
      this.#probeAt = now;
    } else if (longLink && this.#window < MAX_WINDOW) {
      this.#setWindow(this.#window + 1, now);
    }
  }

  #setWindow(window: number, now: number): void {
    this.#window = window;
    this.#windowSetAt = now;
  }

  /**
   * A short link's probe: one more frame in flight, unless one is being judged, the last that did
   * not pay is too recent, or the rate at this window is not known for a whole STEP_PROOF_MS
   * (it is what the probe is judged against). Returns whether it was taken.
   */
  #probeWindow(now: number): boolean {
    const since = Math.max(this.#samples[0]?.[0] ?? now, this.#windowSetAt);
    if (this.#windowStep !== undefined || now < this.#windowHoldUntil || since > now - STEP_PROOF_MS) return false;
    this.#windowStep = { at: now, shown: this.#shownSince(now - STEP_PROOF_MS) };
    this.#lastDecision = now;
    this.#setWindow(this.#window + 1, now);
    return true;
  }

  /** Keeps the probe if more frames were shown since, else takes it back and waits longer next time. */
  #judgeWindowStep(now: number): void {
    // Frames shown, counted over the probe's second (smoothed intervals swing too much for a 5%
    // test; frames the view skipped are work that showed nothing).
    const { at, shown } = this.#windowStep!;
    if (this.#shownSince(at) >= (1 + MIN_STEP_GAIN) * shown * (now - at) / STEP_PROOF_MS) this.#windowWaitMs = RECOVER_MS;
    else {
      this.#setWindow(Math.max(this.#baseWindow, this.#window - 1), now);
      this.#holdWindowProbes(now);
    }
    this.#windowStep = undefined;
    this.#lastDecision = now;
  }

  /** A probe did not pay: none for a while, twice as long as the last time. */
  #holdWindowProbes(now: number): void {
    this.#windowHoldUntil = now + this.#windowWaitMs;
    this.#windowWaitMs = Math.min(MAX_RECOVER_MS, 2 * this.#windowWaitMs);
  }
}

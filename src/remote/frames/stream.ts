// A canvas's frame stream: each presented frame is encoded on sharp's thread pool (at most
// `maxEncodes` at once), sent to every visible view in drawing order however the encodes
// finish, and, once the scene goes idle, sent again losslessly (idle: no newer frame drawn, and
// none waiting for the views' windows: a busy scene held back by a slow link is not idle, and a
// PNG of it would take that link for seconds). Which view gets which frame when
// is the views' business (View.offer and View.hasRoom); this module decides what is sent.
// With `codec: 'h264'` or `'auto'` a second kind of encoder serves the views that get video
// (video-sender.ts: which views, one encode per distinct bitrate, keyframes; codec-choice.ts:
// the `'auto'` rule); the other views get stills as before, and the lossless refresh goes to
// every view as PNG. A video delta frame is offered like a partial frame (it builds on its
// encoder's previous message): a view that cannot use it gets stills until a keyframe.
import type { Frame } from '../../canvas/base.js';
import { PixelLease } from '../../canvas/pixel-pool.js';
import { Limiter } from '../../limiter.js';
import { reportError } from '../../report.js';
import { encodeFrameParts, type EncodedParts } from './image-encoder.js';
import { DEFAULT_VIDEO_BITRATE, VideoFrameEncoder, type EncodedVideo } from './video-encoder.js';
import { VideoSender, type VideoPlan, type VideoSenderStats } from './video-sender.js';
import { changeFromTileFlags, diffFrames, TILE_SIZE, type FrameChange, type Region } from './tiles.js';
import { encodeFrameHeader, videoMimeType } from '../protocol.js';
import type { ResolvedRemoteCanvasOptions } from '../options.js';
import { RecentMean } from '../transport/stats-window.js';
import type { FrameMessage, View } from '../transport/view.js';

/**
 * How frames are encoded and refreshed: the canvas's resolved options (options.ts documents each
 * and applies its default; nothing is defaulted here). `codec` absent or `'jpeg'`: stills only;
 * `videoBitrate` is read only with `codec: 'h264'` or `'auto'` (the canvas passes both).
 */
export type FrameStreamOptions = Pick<ResolvedRemoteCanvasOptions, 'quality' | 'lossyFormat' | 'losslessDelayMs' | 'maxEncodes' | 'dirtyTiles' | 'maxFrameParts'>
  & Partial<Pick<ResolvedRemoteCanvasOptions, 'codec' | 'videoBitrate'>>;

/** A strip of a frame is worth its own encode from this many pixels on (below, the overhead wins). */
export const MIN_PART_PIXELS = 256 * 1024;

/** Counters of a frame stream (the video ones: see {@link VideoSenderStats}). */
export interface FrameStreamStats extends VideoSenderStats {
  /** Frame messages sent out so far (lossless refreshes included): the index of the newest one. */
  framesSent: number;
  /** Frames encoded (sent or not: a frame finished after close is encoded, not sent). */
  framesEncoded: number;
  /** Frames sent as partial frames (dirty tiles). */
  framesPatched: number;
  /** Mean encode time of the last 30 frames, ms. */
  encodeMs: number;
  /** Frames whose changed tiles were found on the GPU during the readback (not on the CPU). */
  framesComparedOnGpu: number;
}

const ENCODE_TIMES_KEPT = 30;
/** A whole frame at least this often (messages), so a view never depends on a long chain of parts. */
const FULL_FRAME_EVERY = 120;
/** Frames the share of changed tiles is averaged over (what `codec: 'auto'` reads as busy). */
const CHANGE_FRAMES_KEPT = 10;

/** A partial frame: the region encoded, and the queued frame it is drawn onto. */
interface Patch {
  region: Region;
  baseSeq: number;
}

/** Encodes and sends one canvas's frames to its views. */
export class FrameStream {
  readonly #canvasId: string;
  readonly #options: FrameStreamOptions;
  readonly #views: ReadonlyMap<string, View>;
  readonly #encodes: Limiter;
  #sendChain: Promise<void> = Promise.resolve();
  #sentIndex = 0;
  #lastFrame: Frame | undefined;
  #lastMessage: FrameMessage | undefined;
  #losslessTimer: ReturnType<typeof setTimeout> | undefined;
  #drawHeld = false; // mayDraw said no since the last frame: the canvas waits for the views' windows
  readonly #resendsWaiting: { frame: Frame; lossless: boolean }[] = []; // re-sends of the newest frame waiting for an encode slot
  #framesEncoded = 0;
  #framesPatched = 0;
  #gpuCompared = 0; // frames whose tiles came compared from the GPU
  // Dirty tiles: frames are queued in order (seq); a partial frame is drawn onto the previous one.
  #seq = 0;
  #chain: { seq: number; frame: Frame; scale: number } | undefined;
  #lastDistributedSeq = 0;
  #needFull = true;
  #sinceFull = 0;
  readonly #encodeTimes = new RecentMean(ENCODE_TIMES_KEPT);
  #closed = false;
  readonly #video: VideoSender | undefined;
  /** Index of the newest video message (a view caught up after it needs the newest frame again). */
  #lastVideoIndex = 0;
  /** Share of tiles changed per frame, over the last frames. */
  readonly #changed = new RecentMean(CHANGE_FRAMES_KEPT);
  /** Index of the last stills message (what the next partial frame builds on). */
  #lastStillsIndex = 0;
  // Each use of a frame's pixels holds a lease (the canvas's PixelPool counts them): the newest
  // frame, the dirty-tile base, encodes in flight, snapshots. When the last one ends, the pixels
  // go back to the canvas for its next readback.
  readonly #retain: ((frame: Frame) => PixelLease) | undefined;
  #lastLease: PixelLease | undefined; // the hold of #lastFrame
  #chainLease: PixelLease | undefined; // the hold of #chain's frame

  /**
   * Frames go to the views in `views` (the canvas's live map). `retain` counts a use of a
   * frame's pixels (the canvas's `_retainFrame`): once every lease of a frame taken here is
   * released, the canvas may read later frames into them. Without it, nothing is recycled.
   */
  constructor(canvasId: string, options: FrameStreamOptions, views: ReadonlyMap<string, View>, retain?: (frame: Frame) => PixelLease) {
    this.#canvasId = canvasId;
    this.#options = options;
    this.#views = views;
    this.#encodes = new Limiter(options.maxEncodes);
    this.#retain = retain;
    if (options.codec === 'h264' || options.codec === 'auto') {
      this.#video = new VideoSender(
        { codec: options.codec, videoBitrate: options.videoBitrate ?? DEFAULT_VIDEO_BITRATE, quality: options.quality },
        // Views that want video switch with the next frame (a keyframe): send the newest again.
        () => this.#wholeFrameNeeded(),
        (e) => this.#videoFailed(e),
      );
    }
  }

  /** The video encoder failed (to load, or mid-stream): one report, then stills to every view, the newest frame at once. */
  #videoFailed(e: unknown): void {
    const codec = this.#video!.codec;
    reportError(`remote canvas ${this.#canvasId} video frames (${codec}); sending stills (${this.#options.lossyFormat}) instead`, e);
    this.#wholeFrameNeeded();
  }

  /**
   * A view announced the codecs it decodes, or its video decoder lost its state (a keyframe
   * request): it cannot take its encoder's next delta. The newest frame goes again now to a view
   * that was on video (a keyframe when it is alone on its encoder, else a still until the next
   * one) and to one that starts video with a keyframe, so neither waits for the scene to change.
   */
  keyframeNeeded(view: View): void {
    if (!this.#video) return;
    const again = this.#video.onVideo(view) || this.#video.startsVideoNow(view);
    this.#video.unsync(view);
    if (again) this.#wholeFrameNeeded();
  }

  /** Keeps `frame`'s pixels from being recycled until the lease is released (once). */
  hold(frame: Frame): PixelLease {
    return this.#retain?.(frame) ?? new PixelLease(() => {});
  }

  #setLastFrame(frame: Frame): void {
    if (frame === this.#lastFrame) return;
    const previous = this.#lastLease;
    this.#lastFrame = frame;
    this.#lastLease = this.hold(frame);
    previous?.release();
  }

  /** Whether the next frames likely go as video (see {@link VideoSender.encoding}): worth their I420 planes. */
  get encodingVideo(): boolean {
    return this.#video?.encoding ?? false;
  }

  /** The newest frame presented (sent, or kept for when a view comes). */
  get lastFrame(): Frame | undefined {
    return this.#lastFrame;
  }

  /** Counters so far. */
  stats(): FrameStreamStats {
    return {
      framesSent: this.#sentIndex,
      framesEncoded: this.#framesEncoded,
      framesPatched: this.#framesPatched,
      framesComparedOnGpu: this.#gpuCompared,
      encodeMs: this.#encodeTimes.mean,
      ...(this.#video?.stats() ?? { framesVideo: 0, framesVideoGpuConverted: 0, keyframesVideo: 0, videoCodec: undefined, videoEncoder: undefined, videoEncoders: 0, videoViews: [] }),
    };
  }

  /** Whether a new frame would reach anyone: some view has room, frames still encoding counted in. */
  mayDraw(): boolean {
    for (const view of this.#views.values()) if (view.hasRoom(this.#encodes.active)) return true;
    this.#drawHeld = true;
    return false;
  }

  /**
   * Takes a presented frame. Resolves once its encode has started: waiting for an encode slot is
   * the backpressure on drawing when encoding is the bottleneck.
   */
  async present(frame: Frame): Promise<void> {
    this.#setLastFrame(frame);
    this.#cancelLosslessRefresh();
    this.#drawHeld = false;
    if (this.#views.size === 0 || this.#closed) return;
    await this.#encodes.acquire();
    this.#queue(frame, this.#options.quality === 100);
  }

  /**
   * A view that just came (or came back into sight) gets the newest frame it has not been
   * offered; when that is a partial frame it cannot use, the newest frame goes again, whole.
   */
  catchUp(view: View): void {
    if (this.#video?.onVideo(view)) {
      this.keyframeNeeded(view);
      return;
    }
    const last = this.#lastMessage;
    // Stills older than the newest video frame are stale: the newest frame goes again.
    if (this.#lastVideoIndex > (last?.index ?? 0)) this.#wholeFrameNeeded();
    else if (last && last.index > view.lastOffered && !view.offer(last)) this.#wholeFrameNeeded();
  }

  /** Stops refreshing; frames encoding now are not sent. */
  close(): void {
    this.#closed = true;
    this.#cancelLosslessRefresh();
    this.#video?.close();
  }

  /**
   * Encodes a frame (holding an encode slot) and sends it once all earlier frames went out. An
   * error thrown before the encode took the slot over is reported and gives the slot back: a
   * slot lost there would stop the stream for good once all were lost.
   */
  #queue(frame: Frame, lossless: boolean, refresh = false): void {
    const handedOver = { value: false };
    try {
      this.#queueNow(frame, lossless, refresh, handedOver);
    } catch (e) {
      if (!handedOver.value) this.#encodes.release();
      this.#needFull = true;
      reportError('frame encoding', e);
    }
  }

  #queueNow(frame: Frame, lossless: boolean, refresh: boolean, handedOver: { value: boolean }): void {
    // Video goes to the views the video sender picks (whole, opaque frames of even size); stills
    // to the rest, or to every view for the lossless refresh.
    const visible = [...this.#views.values()].filter((v) => v.visible);
    const base = this.#chain;
    const seq = ++this.#seq;
    const baseLease = this.#chainLease;
    this.#chainLease = this.hold(frame);
    // What changed since the frame queued before (computed once, only when something reads it).
    let change: FrameChange | null | undefined;
    const changeOf = (): FrameChange | undefined => {
      if (change === undefined) change = refresh ? null : this.#change(base, frame) ?? null;
      return change ?? undefined;
    };
    const videoFits = this.#video !== undefined && !lossless && frame.alphaMode === 'opaque' && VideoFrameEncoder.fits(frame.width, frame.height);
    let plan: VideoPlan | undefined;
    if (videoFits) {
      // The share of tiles that changed, over the last frames (read only when a view's `'auto'`
      // choice needs it): a frame with nothing to compare with (the first, a resize) counts as
      // all changed.
      const changed = (): number => {
        const c = changeOf();
        this.#changed.add(c ? c.changedTiles / c.totalTiles : 1);
        return this.#changed.mean;
      };
      plan = this.#video!.plan(visible, frame, changed, performance.now());
    }
    const stillsViews = plan ? plan.stills : visible;
    const stillsNeeded = stillsViews.length > 0 || visible.length === 0;
    const videoEncoding = plan && plan.sends.length > 0
      ? Promise.all(plan.sends.map((send) => this.#video!.encode(send, frame)))
      : undefined;
    if (!stillsNeeded) {
      baseLease?.release();
      this.#chain = { seq, frame, scale: 1 };
      handedOver.value = true;
      this.#sendChain = this.#sendChain
        .then(() => videoEncoding!.finally(() => this.#encodes.release()))
        .then((videos) => this.#distributeVideo(frame, plan!, videos))
        .catch((e: unknown) => {
          reportError('frame encoding', e);
        });
      return;
    }
    // Lossy stills follow the most constrained view that gets them (one encode serves every
    // such view); the lossless refresh is always full quality and size.
    let quality = this.#options.quality;
    let scale = 1;
    if (!lossless) {
      for (const view of stillsViews) {
        const a = view.adaptive?.state();
        if (a) [quality, scale] = [Math.min(quality, a.quality), Math.min(scale, a.scale)];
      }
    }
    this.#chain = { seq, frame, scale };
    // A partial frame only onto the stills every receiver has: the last ones sent, to all of them.
    const onBase = base !== undefined && base.seq === this.#lastDistributedSeq
      && stillsViews.every((v) => v.lastOffered === this.#lastStillsIndex);
    const region = refresh || !onBase ? undefined : this.#dirtyRegion(base, frame, scale, changeOf());
    baseLease?.release(); // the comparison was its last use
    if (region) {
      this.#sinceFull++;
    } else {
      this.#needFull = false;
      this.#sinceFull = 0;
    }
    const patch = region && base ? { region, baseSeq: base.seq } : undefined;
    const area = region ? region.width * region.height : frame.width * frame.height;
    const parts = Math.max(1, Math.min(this.#options.maxFrameParts, Math.floor(area / MIN_PART_PIXELS)));
    const encodeLease = this.hold(frame);
    const stills = encodeFrameParts(frame, {
      format: lossless ? 'png' : this.#options.lossyFormat,
      quality,
      scale,
      parts,
      alpha: frame.alphaMode !== 'opaque',
      // The refresh after idle waits for the link, not the CPU: smaller is what counts there.
      effort: refresh ? 'small' : 'fast',
      ...(region ? { region } : {}),
    });
    const encoding = Promise.all([stills, videoEncoding]).finally(() => {
      encodeLease.release();
      this.#encodes.release();
    });
    handedOver.value = true;
    this.#sendChain = this.#sendChain
      .then(() => encoding)
      .then(([image, videos]) => {
        // When a video encode failed, its views get these stills instead (the sender failed: from
        // now on every view gets stills).
        // Views that came meanwhile get the stills too (a view that joins mid-encode is not left
        // with an older frame).
        const failed = videos?.some((v) => v === undefined) ?? false;
        const onVideo = new Set(failed ? [] : plan?.sends.flatMap((send) => send.views) ?? []);
        const receivers = [...this.#views.values()].filter((v) => v.visible && !onVideo.has(v));
        this.#distribute(frame, image, seq, patch, lossless, receivers);
        if (videos && !failed) this.#distributeVideo(frame, plan!, videos);
      })
      .catch((e: unknown) => {
        this.#needFull = true; // the frames after a lost one cannot build on it
        reportError('frame encoding', e);
      });
  }

  /** What changed from `base` to `frame` (tile by tile), when the two can be compared; else undefined. */
  #change(base: { frame: Frame } | undefined, frame: Frame): FrameChange | undefined {
    if (!base) return undefined;
    const b = base.frame;
    if (b.width !== frame.width || b.height !== frame.height || b.pixelRatio !== frame.pixelRatio || b.alphaMode !== frame.alphaMode) return undefined;
    // Compared on the GPU during the readback, when that compared exactly with the base frame.
    const gpu = frame.changedTiles;
    const onGpu = gpu !== undefined && gpu.tile === TILE_SIZE && b.readIndex !== undefined && gpu.since === b.readIndex;
    if (onGpu) this.#gpuCompared++;
    return onGpu ? changeFromTileFlags(gpu.changed, frame.width, frame.height) : diffFrames(b, frame, TILE_SIZE, 0.5);
  }

  /** The part of `frame` to send when it may go as a partial frame onto `base`; undefined: send it whole. */
  #dirtyRegion(base: { frame: Frame; scale: number } | undefined, frame: Frame, scale: number, change: FrameChange | undefined): Region | undefined {
    if (!this.#options.dirtyTiles || this.#needFull || this.#sinceFull >= FULL_FRAME_EVERY || !base || !change) return undefined;
    if (scale !== 1 || base.scale !== 1) return undefined;
    if (change.changedTiles * 2 > change.totalTiles) return undefined;
    // Nothing changed: one tile still goes, so the view acknowledges and pacing stays as it was.
    return change.region ?? { x: 0, y: 0, width: Math.min(TILE_SIZE, frame.width), height: Math.min(TILE_SIZE, frame.height) };
  }

  /**
   * Sends each of a plan's video encodes to its views; a view that cannot use a delta (it missed
   * the one before) gets the frame again, as a still until its next keyframe. `videos[i]` is
   * undefined when that encode failed: then the sender failed and the frame goes again as stills.
   */
  #distributeVideo(frame: Frame, plan: VideoPlan, videos: readonly (EncodedVideo | undefined)[]): void {
    const v = this.#video!;
    if (videos.some((video) => video === undefined)) {
      this.#wholeFrameNeeded(frame);
      return;
    }
    let rejected = false;
    plan.sends.forEach((send, i) => {
      const video = videos[i]!;
      this.#framesEncoded++;
      this.#encodeTimes.add(video.encodeMs);
      if (this.#closed) return;
      const index = ++this.#sentIndex;
      const header = encodeFrameHeader({
        canvasId: this.#canvasId, index, timestamp: frame.timestamp, mimeType: videoMimeType(v.codec),
        width: video.width, height: video.height, pixelRatio: frame.pixelRatio, lossless: false, alpha: false,
        video: { codec: v.codec, key: video.key },
      });
      const data = new Uint8Array(header.length + video.data.length);
      data.set(header);
      data.set(video.data, header.length);
      const baseIndex = v.baseIndexOf(send, video);
      const message: FrameMessage = { index, data, lossless: false, ...(baseIndex !== undefined ? { baseIndex } : {}) };
      const took = send.views.filter((view) => view.offer(message));
      if (took.length < send.views.length) rejected = true;
      v.delivered(send, video, index, took);
      this.#lastVideoIndex = index;
    });
    if (this.#closed) return;
    if (rejected) this.#wholeFrameNeeded(frame);
    if (frame === this.#lastFrame) this.#armLosslessRefresh(frame);
  }

  /** Sends stills to `receivers` (visible views); a view on video that gets them needs a keyframe before its next delta. */
  #distribute(frame: Frame, image: EncodedParts, seq: number, patch: Patch | undefined, lossless: boolean, receivers: readonly View[]): void {
    this.#framesEncoded++;
    this.#encodeTimes.add(image.encodeMs);
    if (this.#closed) return;
    if (patch && patch.baseSeq !== this.#lastDistributedSeq) {
      // Its base frame was never sent (its encode failed): this frame goes whole instead.
      this.#wholeFrameNeeded(frame, lossless);
      return;
    }
    this.#lastDistributedSeq = seq;
    const index = ++this.#sentIndex;
    const header = encodeFrameHeader({
      canvasId: this.#canvasId, index, timestamp: frame.timestamp, mimeType: image.mimeType,
      // A reduced image keeps the frame's CSS size: its pixel ratio shrinks with it.
      width: image.width, height: image.height, pixelRatio: frame.pixelRatio * (image.width / (patch ? patch.region.width : frame.width)),
      lossless: image.lossless, alpha: frame.alphaMode !== 'opaque',
      ...(patch ? { patch: { x: patch.region.x, y: patch.region.y, baseIndex: this.#lastStillsIndex } } : {}),
      ...(image.parts.length > 1 ? { parts: image.parts.map((p) => ({ height: p.height, length: p.data.length })) } : {}),
    });
    const data = new Uint8Array(header.length + image.parts.reduce((sum, p) => sum + p.data.length, 0));
    data.set(header);
    let at = header.length;
    for (const p of image.parts) {
      data.set(p.data, at);
      at += p.data.length;
    }
    const message: FrameMessage = { index, data, lossless: image.lossless, ...(patch ? { baseIndex: this.#lastStillsIndex } : {}) };
    if (patch) this.#framesPatched++;
    this.#lastMessage = message;
    this.#lastStillsIndex = index;
    let rejected = false;
    for (const view of receivers) {
      this.#video?.unsync(view);
      if (!view.offer(message)) rejected = true;
    }
    // A view that cannot use this partial frame (it missed the base) needs a whole one.
    if (rejected) this.#wholeFrameNeeded(frame, lossless);
    if (!image.lossless && frame === this.#lastFrame) this.#armLosslessRefresh(frame);
  }

  /**
   * The next frame goes whole; when no newer frame is on its way, the newest one is re-sent whole
   * now. One re-send of a kind waits for an encode slot at a time: what it sends is planned once
   * it has the slot, so it serves every request made until then (a view flooding keyframe or
   * codecs messages made one encode each, up to a thousand a second, before).
   */
  #wholeFrameNeeded(frame = this.#lastFrame, lossless = this.#options.quality === 100): void {
    this.#needFull = true;
    if (!frame || frame !== this.#lastFrame || this.#closed || this.#views.size === 0) return;
    if (this.#resendsWaiting.some((r) => r.frame === frame && r.lossless === lossless)) return;
    const waiting = { frame, lossless };
    this.#resendsWaiting.push(waiting);
    void this.#encodes.acquire().then(() => {
      this.#resendsWaiting.splice(this.#resendsWaiting.indexOf(waiting), 1);
      if (frame === this.#lastFrame && !this.#closed) this.#queue(frame, lossless);
      else this.#encodes.release();
    });
  }

  #armLosslessRefresh(frame: Frame): void {
    this.#cancelLosslessRefresh();
    const delay = this.#options.losslessDelayMs;
    if (!Number.isFinite(delay)) return;
    this.#losslessTimer = setTimeout(() => {
      this.#losslessTimer = undefined;
      // Only if no newer frame was drawn meanwhile (checked again once a slot is free); it goes
      // through the same ordered send path, so each view gets it within its own backpressure.
      const current = (): boolean => frame === this.#lastFrame && !this.#closed;
      if (!current()) return;
      // A draw waits for room: the scene is busy, held back by the views (a slow link), so look
      // again later. With room now and no draw, the canvas did not want one: it is idle. (With
      // no view left, nothing holds a draw back: the refresh is made as before, for a view that
      // comes to be caught up with.)
      const views = [...this.#views.values()];
      if (this.#drawHeld && views.length > 0 && !views.some((v) => v.hasRoom(this.#encodes.active, false))) {
        this.#armLosslessRefresh(frame);
        return;
      }
      void this.#encodes.acquire().then(() => {
        if (current()) this.#queue(frame, true, true);
        else this.#encodes.release();
      });
    }, delay);
  }

  #cancelLosslessRefresh(): void {
    if (this.#losslessTimer) clearTimeout(this.#losslessTimer);
    this.#losslessTimer = undefined;
  }
}

// Which views of a canvas get video frames, from which encoder, and when a keyframe is due: the
// bookkeeping of the video kind of frame, beside the stills' in stream.ts (which orders, encodes
// and sends both). One encoder per distinct setting in use: views whose adaptive controllers
// settled on the same bitrate share one encode (the same bytes go to each); a view at another
// bitrate has an encoder of its own, and an encoder nobody uses any more is reused for the next
// setting that appears (it is set up anew: its next frame is a keyframe) or closed.
//
// Keyframes: a group (one encoder, its views) sends one when it starts, at a resize (the encoder
// restarts), every KEYFRAME_EVERY frames or KEYFRAME_MS, and when none of its views can take a
// delta any more (after the lossless refresh, say). A view that joins a group others are already
// watching, or that lost its decoder state there, does not make the group send an early keyframe
// (the others' picture would pay for it): it gets stills, which show the right picture at once,
// until the group's next scheduled keyframe, and video from there on. Alone in its group, it gets
// the keyframe at once.
import type { View } from '../transport/view.js';
import { CodecChoice } from './codec-choice.js';
import { loadVideoBackend, type VideoBackend } from './video-backend.js';
import { VIDEO_BITRATE_RANGE, type EncodedVideo, type FrameVideoEncoder } from './video-encoder.js';
import type { VideoCodecName } from '../protocol.js';

/** A video keyframe at least this often (frames of one encoder); the encoder may put in more. */
export const KEYFRAME_EVERY = 120;
/** A video keyframe at least this often (ms), so a view waiting for one over a slow link waits little. */
export const KEYFRAME_MS = 4000;

/** A full window coming back slower than this over a real link: the link limits the view. */
export const LINK_BOUND_FPS = 20;

/** How the sender picks views and bitrates: from the canvas's resolved options. */
export interface VideoSenderOptions {
  /** `'h264'`: every view that decodes it; `'auto'`: the views {@link CodecChoice} picks. */
  codec: 'h264' | 'auto';
  /** Bits a second at full quality and size. */
  videoBitrate: number;
  /** The configured stills quality (the adaptive controller's full quality). */
  quality: number;
}

/** One encoder and the views it serves. */
interface Group {
  bitrate: number;
  encoder: FrameVideoEncoder;
  /** Views of the group at the last plan. */
  members: Set<View>;
  sinceKey: number;
  keyAt: number;
  /** Size of the last frame planned (a new one restarts the encoder). */
  width: number;
  height: number;
  /** Index of the group's last frame message (what its next delta builds on). */
  lastIndex: number;
}

/** What the sender knows of one view. */
interface ViewVideo {
  /** Under `'auto'`: the view's choice between stills and video. */
  choice: CodecChoice | undefined;
  group: Group | undefined;
  /** The view got its group's last message: a delta after it builds on what it has. */
  synced: boolean;
}

/** One encode of a frame's plan: a group, whether it sends a keyframe, the views that get it. */
export interface VideoSend {
  readonly group: object;
  readonly key: boolean;
  readonly views: readonly View[];
}

/** What to send of one frame: video encodes, and the visible views that get stills instead. */
export interface VideoPlan {
  sends: VideoSend[];
  stills: View[];
}

/** Counters of the video sender. */
export interface VideoSenderStats {
  framesVideo: number;
  /** Video frames encoded from I420 planes made on the GPU (option `gpuColorConvert`), not from RGBA. */
  framesVideoGpuConverted: number;
  keyframesVideo: number;
  /** The codec when its encoder is loaded and has not failed. */
  videoCodec: VideoCodecName | undefined;
  /** What encodes the video, when it is loaded and has not failed: `'ffmpeg'` or `'webcodecs'` (the npm package). */
  videoEncoder: VideoBackend['name'] | undefined;
  /** Encoders in use at the last frame (distinct settings). */
  videoEncoders: number;
  /** Ids of the views that got the last frame as video. */
  videoViews: string[];
}

/** The video side of one canvas's frame stream (see the file's header). */
export class VideoSender {
  readonly codec: VideoCodecName = 'h264';
  readonly #options: VideoSenderOptions;
  readonly #onLive: () => void;
  readonly #onFailed: (e: unknown) => void;
  #backend: VideoBackend | undefined;
  #loading = false;
  #failed = false;
  #closed = false;
  readonly #groups = new Map<number, Group>();
  readonly #views = new WeakMap<View, ViewVideo>();
  #framesVideo = 0;
  #gpuConverted = 0;
  #keyframes = 0;
  #lastVideoViews: string[] = [];

  /**
   * `onLive`: the encoder loaded (views that want video switch at the next frame: send one);
   * `onFailed`: it did not load or failed mid-stream (once; every view gets stills from then on).
   * With `'h264'` the encoder loads now; with `'auto'`, when a view first wants video.
   */
  constructor(options: VideoSenderOptions, onLive: () => void, onFailed: (e: unknown) => void) {
    this.#options = options;
    this.#onLive = onLive;
    this.#onFailed = onFailed;
    if (options.codec === 'h264') this.#load();
  }

  /** The encoder is loaded and has not failed. */
  get live(): boolean {
    return this.#backend !== undefined && !this.#failed && !this.#closed;
  }

  #load(): void {
    if (this.#loading) return;
    this.#loading = true;
    loadVideoBackend().then((backend) => {
      if (this.#closed || this.#failed) return;
      this.#backend = backend;
      this.#onLive();
    }, (e: unknown) => this.fail(e));
  }

  #state(view: View): ViewVideo {
    let s = this.#views.get(view);
    if (!s) {
      s = { choice: this.#options.codec === 'auto' ? new CodecChoice() : undefined, group: undefined, synced: false };
      this.#views.set(view, s);
    }
    return s;
  }

  /**
   * Whether the next frames likely go as video, so that their I420 planes are worth making on the
   * GPU: with `'h264'` always (unless the encoder failed: the planes are ready for the first
   * video frame, whose form then holds for its run: see InputForm); with `'auto'` once the last
   * frame's plan sent video.
   */
  get encoding(): boolean {
    if (this.#failed || this.#closed) return false;
    return this.#options.codec === 'h264' || (this.live && this.#lastVideoViews.length > 0);
  }

  /** Whether `view` got the last frame as video (and so the newest frame it has is a video one). */
  onVideo(view: View): boolean {
    return this.live && this.#views.get(view)?.group !== undefined;
  }

  /**
   * Whether `view` would start on video with the next frame: the encoder is live, the view decodes
   * the codec, (`'auto'`) its choice is video, and no other view is watching the encoder of its
   * bitrate (it would get a keyframe at once, not stills until that encoder's next one).
   */
  startsVideoNow(view: View): boolean {
    const choice = this.#views.get(view)?.choice ?? (this.#options.codec === 'auto' ? undefined : null);
    if (!this.live || !view.decodes.includes(this.codec) || !(choice === null || choice?.video === true)) return false;
    const group = this.#groups.get(this.#bitrateFor(view));
    return !group || ![...group.members].some((v) => v !== view && this.#views.get(v)?.synced);
  }

  /**
   * `view` cannot take its group's next delta: it joined, announced the codec, lost its decoder
   * state, or got a still (the lossless refresh) since. It gets stills until a keyframe.
   */
  unsync(view: View): void {
    const s = this.#views.get(view);
    if (s) s.synced = false;
  }

  /**
   * The plan for a frame that may go as video (lossy, opaque, of a size the codec takes):
   * `visible` are the views it goes to, `size` the frame's, `changed` gives the share of tiles
   * that changed (averaged over the last frames: what `'auto'` reads as busy content; called at
   * most once, only when a view's choice needs it), `now` in ms.
   */
  plan(visible: readonly View[], size: { width: number; height: number }, changed: () => number, now: number): VideoPlan {
    const stills: View[] = [];
    const wanted = new Map<View, number>(); // view -> bitrate
    let share: number | undefined;
    for (const view of visible) {
      const s = this.#state(view);
      const decodes = !this.#failed && view.decodes.includes(this.codec);
      const wasVideo = s.choice?.video === true;
      const wants = decodes && (s.choice ? s.choice.update({ linkBound: this.#linkBound(view), changed: share ??= changed(), now }) : true);
      // Switched to video by `'auto'`: the controller's steps down were for stills many times the
      // size; the video starts at the full bitrate and the controller steps down from there.
      if (s.choice && wants && !wasVideo) view.adaptive?.restorePicture();
      if (wants && !this.#backend) this.#load();
      if (wants && this.live) {
        wanted.set(view, this.#bitrateFor(view));
      } else {
        s.group = undefined;
        s.synced = false;
        stills.push(view);
      }
    }
    this.#assignGroups(wanted);
    const sends: VideoSend[] = [];
    const videoViews: string[] = [];
    for (const group of this.#groups.values()) {
      const members = [...group.members];
      const synced = members.filter((v) => this.#views.get(v)!.synced);
      // A new size restarts the encoder: that frame is a keyframe anyway, for every view.
      const resized = group.width !== size.width || group.height !== size.height;
      const key = synced.length === 0 || resized || group.sinceKey >= KEYFRAME_EVERY || now - group.keyAt >= KEYFRAME_MS;
      group.width = size.width;
      group.height = size.height;
      const views = key ? members : synced;
      // Counted as planned, not as sent: the next frame may be planned before this one is out.
      if (key) {
        group.sinceKey = 0;
        group.keyAt = now;
      } else {
        group.sinceKey++;
      }
      for (const v of members) {
        if (views.includes(v)) {
          this.#views.get(v)!.synced = true; // unless it refuses the message (delivered)
          videoViews.push(v.id);
        } else {
          stills.push(v);
        }
      }
      sends.push({ group, key, views });
    }
    this.#lastVideoViews = videoViews;
    return { sends, stills };
  }

  /** Gives each view wanting video the group of its bitrate; reuses or closes encoders nobody uses. */
  #assignGroups(wanted: Map<View, number>): void {
    const bitrates = new Set(wanted.values());
    const spare: Group[] = [];
    for (const [bitrate, group] of this.#groups) {
      group.members.clear();
      if (!bitrates.has(bitrate)) {
        this.#groups.delete(bitrate);
        spare.push(group);
      }
    }
    for (const [view, bitrate] of wanted) {
      let group = this.#groups.get(bitrate);
      if (!group) {
        const reused = spare.pop();
        const encoder = reused?.encoder ?? this.#backend!.create(this.codec, bitrate);
        encoder.setBitrate(bitrate); // a reused encoder restarts: its next frame is a keyframe
        group = { bitrate, encoder, members: new Set(), sinceKey: 0, keyAt: 0, width: 0, height: 0, lastIndex: 0 };
        this.#groups.set(bitrate, group);
      }
      const s = this.#state(view);
      if (s.group !== group) s.synced = false;
      s.group = group;
      group.members.add(view);
    }
    // A frame of an earlier plan may still be in a spare encoder: it comes out first (closing at
    // once would reject it, which reads as the encoder failing and sends every view stills).
    for (const group of spare) group.encoder.closeWhenIdle();
  }

  /**
   * The view's link limits it: its adaptive controller lowered the stills below the configured
   * quality or size, or, over a link with real delay, its full window comes back at fewer than
   * LINK_BOUND_FPS frames a second (big frames over a slow link: measured, 130 kB frames over
   * 5 Mbit/s / 100 ms came back at 4 fps while the controller, its base roundtrip inflated by
   * the frames themselves, saw no queue).
   */
  #linkBound(view: View): boolean {
    const a = view.adaptive?.state();
    if (!a) return false;
    if (a.quality < this.#options.quality || a.scale < 1) return true;
    return a.longLink && a.paceMs > 1000 / LINK_BOUND_FPS;
  }

  /**
   * The bitrate for a view: `videoBitrate`, lowered as its adaptive controller lowers quality and
   * scale (by the square of each ratio: bits go with pixels and, roughly, with quality), down to
   * the lowest allowed. The controller moves in debounced steps, so views at the same step share
   * an encoder, and a view's encoder changes only at a step.
   */
  #bitrateFor(view: View): number {
    const full = this.#options.videoBitrate;
    const a = view.adaptive?.state();
    const factor = a ? Math.min(1, (a.quality / this.#options.quality) ** 2 * a.scale ** 2) : 1;
    return Math.max(VIDEO_BITRATE_RANGE[0], Math.min(full, Math.round(full * factor)));
  }

  /**
   * Encodes `pixels` for one send of a plan; resolves undefined when the encoder failed (then
   * {@link fail} was called: every view gets stills). The encoder copies the pixels at once.
   */
  encode(send: VideoSend, pixels: Parameters<FrameVideoEncoder['encode']>[0]): Promise<EncodedVideo | undefined> {
    const group = send.group as Group;
    return group.encoder.encode(pixels, send.key).then((video) => {
      if (video.fromPlanes) this.#gpuConverted++;
      return video;
    }, (e: unknown) => {
      this.fail(e);
      return undefined;
    });
  }

  /**
   * A send's frame went out as message `index`: returns the index its delta builds on (undefined
   * for a keyframe), to put in the message; then {@link delivered} says who took it.
   */
  baseIndexOf(send: VideoSend, video: EncodedVideo): number | undefined {
    return video.key ? undefined : (send.group as Group).lastIndex;
  }

  /** Message `index` of a send went out; `took`: the views that accepted it (the others need a keyframe). */
  delivered(send: VideoSend, video: EncodedVideo, index: number, took: readonly View[]): void {
    const group = send.group as Group;
    group.lastIndex = index;
    this.#framesVideo++;
    if (video.key) this.#keyframes++;
    for (const view of send.views) if (!took.includes(view)) this.unsync(view);
  }

  /** The encoder failed (to load, or mid-stream): stills from now on; `onFailed` once. */
  fail(e: unknown): void {
    if (this.#failed || this.#closed) return;
    this.#failed = true;
    this.#closeEncoders();
    this.#onFailed(e);
  }

  #closeEncoders(): void {
    for (const group of this.#groups.values()) group.encoder.close();
    this.#groups.clear();
    this.#lastVideoViews = [];
  }

  /** Stops every encoder. */
  close(): void {
    this.#closed = true;
    this.#closeEncoders();
  }

  /** Counters so far. */
  stats(): VideoSenderStats {
    return {
      framesVideo: this.#framesVideo,
      framesVideoGpuConverted: this.#gpuConverted,
      keyframesVideo: this.#keyframes,
      videoCodec: this.live ? this.codec : undefined,
      videoEncoder: this.live ? this.#backend!.name : undefined,
      videoEncoders: [...this.#groups.values()].filter((g) => g.members.size > 0).length,
      videoViews: [...this.#lastVideoViews],
    };
  }
}

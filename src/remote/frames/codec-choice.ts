// The `codec: 'auto'` rule: for one view, whether its changing frames go as video or as stills.
// Video pays where a view is bound by its link and the content is busy: a delta frame of a moving
// scene is a fraction of a JPEG's bytes (README, "Video frames": the measurements), so a link that
// carried a few JPEGs a second carries a smooth stream. Stills pay everywhere else: on a short
// link the link is not what limits (the adaptive controller never lowers quality there, and a
// JPEG encodes and decodes faster than an H.264 frame on a busy CPU), and content that mostly
// stands still goes as small dirty-tile patches, with no decoder state to keep.
// So, per view:
// - stills -> video: the view is link-bound (the caller says: its adaptive controller lowered the
//   stills, or its full window comes back slowly over a real link) while the content is busy (at
//   least half of the tiles changed, over the last frames: where dirty tiles give up);
// - video -> stills: the content calmed down (under half the tiles changing) for CALM_MS.
// There is no timed try of stills while the content stays busy: measured over 5 Mbit/s / 100 ms,
// one such try put 130 kB stills back on the link and the view's latency went from ~200 ms to
// ~1 s for seconds, and busy content is where video wins at any link speed that limits a view.
// Pure: the caller passes the facts and the time.

/** What the rule looks at, each frame. */
export interface CodecChoiceInput {
  /** The view's link is what limits it (see the file's header). */
  linkBound: boolean;
  /** Share of the frame's tiles that changed, 0..1, averaged over the last frames. */
  changed: number;
  /** Now, ms (any monotonic clock). */
  now: number;
}

/** Over half of the tiles changing is busy content (the same line where dirty tiles give up). */
export const BUSY_CHANGED = 0.5;
/** Content under the busy line this long sends a view back to stills. */
export const CALM_MS = 1000;

/** One view's choice between stills and video under `codec: 'auto'`. */
export class CodecChoice {
  #video = false;
  #calmSince: number | undefined;

  /** Whether the view gets video now. */
  get video(): boolean {
    return this.#video;
  }

  /** Takes this frame's facts; returns whether the view gets this frame as video. */
  update({ linkBound, changed, now }: CodecChoiceInput): boolean {
    const busy = changed >= BUSY_CHANGED;
    if (!this.#video) {
      if (linkBound && busy) {
        this.#video = true;
        this.#calmSince = undefined;
      }
      return this.#video;
    }
    if (busy) this.#calmSince = undefined;
    else this.#calmSince ??= now;
    if (this.#calmSince !== undefined && now - this.#calmSince >= CALM_MS) this.#video = false;
    return this.#video;
  }
}

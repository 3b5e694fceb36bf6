// The `codec: 'auto'` rule: for one view, whether its changing frames go as video or as stills.
// Video pays where a view is bound by its link and the content is busy: a delta frame of a moving
// scene is a fraction of a JPEG's bytes (README, "Video frames": the measurements), so a link that
// carried a few JPEGs a second carries a smooth stream. Stills pay everywhere else: on a short
// link the link is not what limits (the adaptive controller never lowers quality there, and a
// JPEG encodes and decodes faster than an H.264 frame on a busy CPU), and content that mostly
// stands still goes as small dirty-tile patches, with no decoder state to keep.
// So, per view:
// - stills -> video: the view's adaptive controller has lowered the stills' quality or scale
//   (only over a link with real delay, from measured congestion) while the content is busy
//   (at least half of the tiles changed, over the last frames: where dirty tiles give up);
// - video -> stills: the content calmed down (under half the tiles changing) for CALM_MS, or a
//   probe: after probeWait on video the view tries stills again; when that congests within
//   PROBE_FAILS_WITHIN the wait doubles (up to MAX_PROBE_WAIT_MS), as the adaptive controller
//   backs off its own probes, so a link that cannot carry stills is not made to try every second.
// Pure: the caller passes the facts and the time.

/** What the rule looks at, each frame. */
export interface CodecChoiceInput {
  /** The view's adaptive controller lowered quality or scale below the configured ones. */
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
/** First time on video before a view tries stills again. */
export const FIRST_PROBE_WAIT_MS = 15_000;
/** Longest wait between two tries of stills. */
export const MAX_PROBE_WAIT_MS = 120_000;
/** Back on video this soon after trying stills: the try failed (the next wait doubles). */
export const PROBE_FAILS_WITHIN = 10_000;

/** One view's choice between stills and video under `codec: 'auto'`. */
export class CodecChoice {
  #video = false;
  #since = 0; // when the current mode began
  #calmSince: number | undefined;
  #probeWait = FIRST_PROBE_WAIT_MS;
  #probedAt: number | undefined; // when video last ended by a probe

  /** Whether the view gets video now. */
  get video(): boolean {
    return this.#video;
  }

  /** The wait before the next try of stills, ms (for stats and tests). */
  get probeWaitMs(): number {
    return this.#probeWait;
  }

  /** Takes this frame's facts; returns whether the view gets this frame as video. */
  update({ linkBound, changed, now }: CodecChoiceInput): boolean {
    const busy = changed >= BUSY_CHANGED;
    if (!this.#video) {
      // Stills held for PROBE_FAILS_WITHIN after a try: the try worked, the next wait starts over.
      if (this.#probedAt !== undefined && now - this.#probedAt >= PROBE_FAILS_WITHIN) {
        this.#probedAt = undefined;
        this.#probeWait = FIRST_PROBE_WAIT_MS;
      }
      if (linkBound && busy) {
        if (this.#probedAt !== undefined && now - this.#probedAt < PROBE_FAILS_WITHIN) this.#probeWait = Math.min(MAX_PROBE_WAIT_MS, 2 * this.#probeWait);
        this.#probedAt = undefined;
        this.#switch(true, now);
      }
      return this.#video;
    }
    if (busy) this.#calmSince = undefined;
    else this.#calmSince ??= now;
    if (this.#calmSince !== undefined && now - this.#calmSince >= CALM_MS) {
      this.#probedAt = undefined; // calm content is not a probe of the link
      this.#switch(false, now);
    } else if (now - this.#since >= this.#probeWait) {
      this.#probedAt = now;
      this.#switch(false, now);
    }
    return this.#video;
  }

  #switch(video: boolean, now: number): void {
    this.#video = video;
    this.#since = now;
    this.#calmSince = undefined;
  }
}

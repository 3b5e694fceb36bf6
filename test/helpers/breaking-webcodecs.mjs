// A WebCodecs module for the video path's failure tests (named by env DAWN_RFB_VIDEO_MODULE):
// the real @napi-rs/webcodecs, whose VideoEncoder is closed, for real, before its frame number
// BREAK_AFTER + 1, so that encode throws the real encoder's own error, as an encoder that dies
// mid-stream would. Everything else is the package's.
import * as real from '@napi-rs/webcodecs';

/** Frames encoded before the encoder is closed under the stream's feet. */
export const BREAK_AFTER = 3;

export const VideoFrame = real.VideoFrame;

export class VideoEncoder {
  #inner;
  #frames = 0;
  constructor(init) {
    this.#inner = new real.VideoEncoder(init);
  }
  configure(config) {
    this.#inner.configure(config);
  }
  encode(frame, options) {
    if (++this.#frames > BREAK_AFTER && this.#inner.state !== 'closed') this.#inner.close();
    this.#inner.encode(frame, options);
  }
  close() {
    if (this.#inner.state !== 'closed') this.#inner.close();
  }
}

// The view's size, as resize events. A view that cannot be seen (collapsed output, background tab,
// or scrolled out of sight) reports 0x0, which the server takes as "hidden" and stops rendering for;
// it reports its real size again as soon as it is visible.
import type { ResizeEvent } from '../../src/remote/protocol.js';
import { now, type EventSink } from './input.js';

interface Size {
  width: number;
  height: number;
  pwidth: number;
  pheight: number;
}

/** Control over the resize events `watchSize` sends. */
export interface SizeWatcher {
  /** Sends the current size even if unchanged (a new connection has not seen it yet). */
  resend(): void;
}

/**
 * Sends a resize event to `sink` whenever `root`'s size, pixel ratio or visibility changes (0x0
 * while it cannot be seen), until `signal` aborts.
 */
export function watchSize(root: HTMLElement, sink: EventSink, signal: AbortSignal): SizeWatcher {
  let measured: Size | null = null;
  // Until the IntersectionObserver reports, the view counts as hidden: reporting a size first
  // would make the server render a frame nobody may see.
  let intersecting = typeof IntersectionObserver === 'undefined';
  let lastSent = '';
  // IntersectionObserver does not count a background tab as out of sight.
  const visible = () => intersecting && document.visibilityState !== 'hidden';

  const current = (): ResizeEvent | null => {
    if (!measured) return null;
    const ratio = window.devicePixelRatio || 1;
    const size = visible() ? measured : { width: 0, height: 0, pwidth: 0, pheight: 0 };
    return { type: 'resize', timestamp: now(), ...size, ratio };
  };
  const update = () => {
    const event = current();
    if (!event) return;
    const key = `${event.width},${event.height},${event.pwidth},${event.pheight},${event.ratio}`;
    if (key === lastSent) return;
    lastSent = key;
    sink(event);
  };

  const resizeObserver = new ResizeObserver((entries) => {
    const entry = entries[entries.length - 1];
    if (!entry) return;
    const { width, height } = entry.contentRect;
    const ratio = window.devicePixelRatio || 1;
    // The device-pixel box is exact (the browser's own rounding), where the product can be off by
    // one. It is ignored when it disagrees with the ratio by more than rounding (an emulated
    // ratio, as in tests): the server derives the logical size from pwidth / ratio.
    const device = entry.devicePixelContentBoxSize?.[0];
    const exact = device && Math.abs(device.inlineSize - width * ratio) <= 1 && Math.abs(device.blockSize - height * ratio) <= 1;
    measured = {
      width, height,
      pwidth: exact ? device.inlineSize : Math.floor(width * ratio),
      pheight: exact ? device.blockSize : Math.floor(height * ratio),
    };
    update();
  });
  const observe = () => {
    try {
      // Observing device pixels also reports zoom and monitor changes, which leave CSS sizes alone.
      resizeObserver.observe(root, { box: 'device-pixel-content-box' });
    } catch {
      resizeObserver.observe(root); // Safari
    }
  };
  observe();

  let intersectionObserver: IntersectionObserver | undefined;
  if (!intersecting) {
    intersectionObserver = new IntersectionObserver((entries) => {
      const entry = entries[entries.length - 1];
      if (!entry) return;
      intersecting = entry.isIntersecting;
      update();
    });
    intersectionObserver.observe(root);
  }

  document.addEventListener('visibilitychange', update, { signal });

  signal.addEventListener('abort', () => {
    resizeObserver.disconnect();
    intersectionObserver?.disconnect();
  });
  return {
    resend() {
      lastSent = '';
      // A hidden view says so at once. Otherwise the size is re-measured: the hello that prompts
      // this may just have changed the CSS size, and the last measurement predates that layout.
      // Observing afresh reports the size after the next layout.
      if (!visible()) update();
      resizeObserver.unobserve(root);
      observe();
    },
  };
}

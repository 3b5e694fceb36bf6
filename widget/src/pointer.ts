// Pointer, double-click and wheel events. Listeners sit on the root rather than the canvas, so
// the margin around a canvas that has not yet caught up with a resize still reacts; coordinates
// are relative to the canvas all the same, as handlers expect.
import { MAX_TOUCHES, type Button, type PointerEvent as WirePointerEvent, type Touch } from '../../src/remote/protocol.js';
import { buttonBit, mapButton, mapButtons, modifiers, now, wheelScale, type EventSink } from './input.js';

/** The elements pointer input involves. */
export interface PointerTarget {
  /** The element the listeners sit on (and that captures the pointer). */
  root: HTMLElement;
  /** Focused on a press, so that keys reach the canvas. */
  textarea: HTMLTextAreaElement;
  /** The element coordinates are relative to (the canvas, or the snapshot before the first frame). */
  reference(): Element;
  /** Whether the CSS resize handle is on (its corner then belongs to the browser). */
  resizable(): boolean;
}

// Chrome's and Firefox's resize grip is about this big; presses there must reach the browser.
const GRIP = 16;

/**
 * Sends pointer, double-click and wheel events from `target.root` to `sink`, with coordinates
 * relative to `target.reference()`, until `signal` aborts.
 */
export function attachPointer(target: PointerTarget, sink: EventSink, signal: AbortSignal): void {
  const { root, textarea } = target;
  const on = <K extends keyof HTMLElementEventMap>(type: K, fn: (e: HTMLElementEventMap[K]) => void, passive = true) =>
    root.addEventListener(type, fn, { signal, passive });
  const touches = new Map<number, Touch>();
  /** Pointers that are down, with the button that went down, for the pointer_up of a cancel. */
  const down = new Map<number, Button>();

  const position = (e: MouseEvent) => {
    const rect = target.reference().getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };
  const pointerEvent = (type: WirePointerEvent['type'], e: MouseEvent, button: WirePointerEvent['button']): WirePointerEvent => {
    // The server rejects more than MAX_TOUCHES points.
    const points: Record<number, Touch> = {};
    let ntouches = 0;
    for (const [id, point] of touches) {
      if (ntouches++ === MAX_TOUCHES) break;
      points[id] = point;
    }
    return {
      type, timestamp: now(), ...position(e), button, buttons: mapButtons(e.buttons),
      modifiers: modifiers(e), ntouches: Object.keys(points).length, touches: points,
    };
  };
  const trackTouch = (e: PointerEvent) => {
    if (e.pointerType === 'touch') touches.set(e.pointerId, { ...position(e), pressure: e.pressure });
  };
  const release = (e: PointerEvent, button: Button) => {
    touches.delete(e.pointerId); // like TouchEvent.touches, an ended touch is no longer listed
    down.delete(e.pointerId);
    sink(pointerEvent('pointer_up', e, button));
  };
  const inGrip = (e: MouseEvent) => {
    if (!target.resizable()) return false;
    const rect = root.getBoundingClientRect();
    return e.clientX > rect.right - GRIP && e.clientY > rect.bottom - GRIP;
  };

  on('pointerdown', (e) => {
    if (inGrip(e)) return;
    // Stops the browser from moving focus away from the textarea (and from selecting text or
    // dragging the snapshot image); click and dblclick still fire.
    e.preventDefault();
    // A tap should not pop up the on-screen keyboard; a hardware keyboard still types.
    textarea.inputMode = e.pointerType === 'touch' ? 'none' : '';
    textarea.focus({ preventScroll: true });
    // Keeps moves and the release coming while a drag leaves the element.
    try {
      root.setPointerCapture(e.pointerId);
    } catch {
      // The pointer is already gone; its pointerup may never come, which is fine.
    }
    trackTouch(e);
    const button = mapButton(e.button);
    down.set(e.pointerId, button);
    sink(pointerEvent('pointer_down', e, button));
  }, false);

  on('pointermove', (e) => {
    if (touches.has(e.pointerId)) trackTouch(e);
    // A second mouse button pressed or released while another is held comes as a move with
    // `button` set; handlers expect a down or up for it.
    if (e.button >= 0 && down.has(e.pointerId)) {
      e.preventDefault(); // else the press moves focus away from the textarea, as pointerdown would
      const pressed = (e.buttons & buttonBit(e.button)) !== 0;
      sink(pointerEvent(pressed ? 'pointer_down' : 'pointer_up', e, mapButton(e.button)));
      return;
    }
    sink(pointerEvent('pointer_move', e, 0));
  }, false);

  on('pointerup', (e) => release(e, mapButton(e.button)));
  // Capture lost without a pointerup (a cancelled touch, an alert, a window switch): handlers
  // would otherwise think the button is still held.
  const cancel = (e: PointerEvent) => {
    const button = down.get(e.pointerId);
    if (button !== undefined) release(e, button);
  };
  on('pointercancel', cancel);
  on('lostpointercapture', cancel);

  on('pointerenter', (e) => sink(pointerEvent('pointer_enter', e, 0)));
  on('pointerleave', (e) => sink(pointerEvent('pointer_leave', e, 0)));
  on('dblclick', (e) => sink(pointerEvent('double_click', e, mapButton(e.button))));
  // A right-button drag belongs to the canvas, not to the page's context menu.
  on('contextmenu', (e) => e.preventDefault(), false);

  on('wheel', (e) => {
    // Only a focused widget keeps the wheel, so scrolling through a notebook still works.
    if (root.ownerDocument.activeElement === textarea) e.preventDefault();
    const scale = wheelScale(e.deltaMode, window.devicePixelRatio);
    sink({
      type: 'wheel', timestamp: now(), ...position(e), dx: e.deltaX * scale, dy: e.deltaY * scale,
      buttons: mapButtons(e.buttons), modifiers: modifiers(e),
    });
  }, false);
}

// Pure translations from DOM input to the event spec (jupyter_rfb's names and fields, see
// src/canvas/events.ts). No DOM state lives here, so the mapping rules stay in one reviewable place.
import {
  MAX_KEY_LENGTH, MAX_TEXT_LENGTH, MODIFIER_ORDER, type Button, type Modifier, type WireEvent,
} from '../../src/remote/protocol.js';

/** Where translated events go (the throttling queue). */
export type EventSink = (event: WireEvent) => void;

/** Event timestamps use the page's monotonic clock, as the spec asks. */
export function now(): number {
  return performance.now() / 1000;
}

// DOM numbers the middle button 1 and the right one 2; the spec swaps them.
const BUTTON_OF_DOM_BUTTON: readonly Button[] = [1, 3, 2, 4, 5];
// ...while the DOM `buttons` bitmask already lists them in spec order (bit i is button i + 1).
const BIT_OF_DOM_BUTTON = [1, 4, 2, 8, 16];

/** The spec button for `MouseEvent.button` (0 when nothing changed, e.g. a move). */
export function mapButton(domButton: number): Button {
  return BUTTON_OF_DOM_BUTTON[domButton] ?? 0;
}

/** The `buttons` bit that `MouseEvent.button` sets, to tell a chord press from a release. */
export function buttonBit(domButton: number): number {
  return BIT_OF_DOM_BUTTON[domButton] ?? 0;
}

const BUTTON_BITS: readonly Button[] = [1, 2, 3, 4, 5];

/** The sorted spec buttons held in a `MouseEvent.buttons` mask. */
export function mapButtons(mask: number): Button[] {
  return BUTTON_BITS.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

interface ModifierState {
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

const HELD: Record<Modifier, keyof ModifierState> = { Alt: 'altKey', Control: 'ctrlKey', Meta: 'metaKey', Shift: 'shiftKey' };

/** Held modifiers, always in the spec's order. */
export function modifiers(e: ModifierState): Modifier[] {
  return MODIFIER_ORDER.filter((m) => e[HELD[m]]);
}

// Older browsers report these abbreviations; handlers should only ever see the standard names.
const KEY_ALIASES: Record<string, string> = { Ctrl: 'Control', Del: 'Delete', Esc: 'Escape' };

/** `KeyboardEvent.key`, normalised. */
export function mapKey(key: string): string {
  // The server rejects longer keys.
  return (KEY_ALIASES[key] ?? key).slice(0, MAX_KEY_LENGTH);
}

/**
 * Factor turning a wheel delta into logical pixels: pixel deltas are physical on some platforms,
 * so they are divided by the ratio; lines and pages use jupyter_rfb's 16 and 600 so scroll speeds
 * match it.
 */
export function wheelScale(deltaMode: number, ratio: number): number {
  if (deltaMode === 1) return 16;
  if (deltaMode === 2) return 600;
  return 1 / (ratio || 1);
}

/** Splits text into pieces the server accepts (at most MAX_TEXT_LENGTH), never between the halves of a surrogate pair. */
export function splitText(text: string, max = MAX_TEXT_LENGTH): string[] {
  const out: string[] = [];
  let piece = '';
  for (const ch of text) {
    if (piece.length + ch.length > max) {
      out.push(piece);
      piece = '';
    }
    piece += ch;
  }
  if (piece || out.length === 0) out.push(piece);
  return out;
}

// Keys, text input and focus, all through the hidden textarea. A textarea (not a tabindex div)
// because only an editable element gets IME composition and 'input' events, and because notebook
// front ends leave keys alone while an editable element has focus.
import { MAX_INPUT_TYPE_LENGTH } from '../../src/remote/protocol.js';
import { mapKey, modifiers, now, splitText, type EventSink } from './input.js';

interface NotebookSix {
  Jupyter?: { keyboard_manager?: { register_events?(element: Element): void } };
}

/**
 * Sends key, char (text and IME input) and focus events from the textarea to `sink`, keeping them
 * from the notebook's shortcuts, until `signal` aborts.
 */
export function attachKeyboard(textarea: HTMLTextAreaElement, sink: EventSink, signal: AbortSignal): void {
  const on = <K extends keyof HTMLElementEventMap>(type: K, fn: (e: HTMLElementEventMap[K]) => void) =>
    textarea.addEventListener(type, fn, { signal });

  const key = (type: 'key_down' | 'key_up') => (e: KeyboardEvent) => {
    // The notebook's shortcut handlers listen further up; a canvas key must not also run a cell.
    e.stopPropagation();
    // Repeats are dropped (the spec), and keys of an IME composition ('Process' starts one) are
    // the IME's business: its result arrives as char events.
    if (e.repeat || e.isComposing || e.key === 'Process') return;
    sink({ type, timestamp: now(), key: mapKey(e.key), modifiers: modifiers(e) });
  };
  on('keydown', key('key_down'));
  on('keyup', key('key_up'));
  on('keypress', (e) => e.stopPropagation());

  const char = (data: string, isComposing: boolean, inputType: string) => {
    for (const piece of splitText(data)) {
      // The server rejects longer input types (the standard ones are far shorter).
      sink({ type: 'char', timestamp: now(), data: piece, is_composing: isComposing, input_type: inputType.slice(0, MAX_INPUT_TYPE_LENGTH) });
    }
  };
  // Firefox follows compositionend with a non-composing input event repeating the result.
  let composed = false;
  on('input', (e) => {
    const { data, isComposing, inputType } = e as InputEvent;
    if (isComposing) {
      // Clearing the textarea now would abort the composition; it is cleared when it ends.
      char(data ?? '', true, inputType);
      return;
    }
    const repeat = composed && inputType === 'insertCompositionText';
    composed = false;
    // A paste or line break has no `data`; the textarea holds exactly the new text.
    if (!repeat) char(data ?? textarea.value, false, inputType);
    textarea.value = '';
  });
  on('compositionend', (e) => {
    composed = true;
    char(e.data, false, 'insertCompositionText');
    textarea.value = '';
  });

  on('focus', () => sink({ type: 'focus_in', timestamp: now() }));
  on('blur', () => sink({ type: 'focus_out', timestamp: now() }));

  // Notebook 6 has one page-wide keyboard manager; registering disables it while we have focus.
  try {
    (globalThis as NotebookSix).Jupyter?.keyboard_manager?.register_events?.(textarea);
  } catch (e) {
    console.warn('dawn-rfb: could not register with the notebook keyboard manager:', e);
  }
}

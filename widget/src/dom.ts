// The widget's elements. The caller's element becomes the root (the notebook output already made
// it for us, with the snapshot inside), and only what is added here is removed again.
const STYLE_ID = 'dawn-rfb-style';
// :focus-within needs a stylesheet (inline styles cannot express it); one per page is enough.
const CSS = `
.dawn-rfb{position:relative;overflow:hidden;touch-action:none;user-select:none;-webkit-user-select:none}
.dawn-rfb:focus-within{outline:2px solid #3b82f6;outline-offset:-2px}
.dawn-rfb>canvas{display:block}
.dawn-rfb>textarea{position:absolute;left:0;top:0;width:1px;height:1px;margin:0;padding:0;border:0;opacity:0;resize:none;overflow:hidden;pointer-events:none;font-size:16px}
.dawn-rfb>.dawn-rfb-status{position:absolute;left:4px;top:4px;max-width:calc(100% - 16px);padding:2px 6px;border-radius:3px;background:rgba(0,0,0,.65);color:#fff;font:12px/1.4 sans-serif;overflow-wrap:anywhere;pointer-events:none}
.dawn-rfb>.dawn-rfb-status[hidden]{display:none}
`;

/** The widget's elements, as `createDom` made them. */
export interface WidgetDom {
  /** The caller's element, styled as the widget. */
  root: HTMLElement;
  /** Where frames are drawn. */
  canvas: HTMLCanvasElement;
  /** Takes keyboard focus: key events and text input need a focusable, editable target. */
  textarea: HTMLTextAreaElement;
  /** The status overlay box. */
  status: HTMLElement;
  /** Removes the input parts (textarea, shortcut suppression); the canvas and status stay. */
  remove(): void;
}

/**
 * Makes `root` the widget: adds the page's stylesheet once, then a canvas (hidden while
 * `hideCanvas`, i.e. while a snapshot shows instead), the keyboard textarea and the status box.
 */
export function createDom(root: HTMLElement, hideCanvas: boolean): WidgetDom {
  const doc = root.ownerDocument;
  if (!doc.getElementById(STYLE_ID)) {
    const style = doc.createElement('style');
    style.id = STYLE_ID;
    style.textContent = CSS;
    doc.head.appendChild(style);
  }
  root.classList.add('dawn-rfb');
  // JupyterLab skips its shortcuts for key events from inside such an element.
  root.setAttribute('data-lm-suppress-shortcuts', 'true');

  const canvas = doc.createElement('canvas');
  canvas.width = canvas.height = 0; // nothing to show (and no 300x150 default) before a frame
  if (hideCanvas) canvas.style.display = 'none';

  const textarea = doc.createElement('textarea');
  textarea.setAttribute('aria-label', 'canvas keyboard input');
  textarea.autocomplete = 'off';
  textarea.spellcheck = false;
  textarea.setAttribute('autocorrect', 'off');
  textarea.setAttribute('autocapitalize', 'off');

  const status = doc.createElement('div');
  status.className = 'dawn-rfb-status';
  status.setAttribute('role', 'status');

  root.append(canvas, textarea, status);
  return {
    root, canvas, textarea, status,
    remove() {
      // The last frame and the status stay: a closed widget still shows what it last rendered,
      // marked as closed.
      textarea.remove();
      root.removeAttribute('data-lm-suppress-shortcuts');
    },
  };
}

// Showing canvases as notebook cell outputs: show() and showSideBySide() write a new output,
// freeze() rewrites every output of a canvas with its current frame. The kernel side (finding the
// cell's display writer, making the cell wait) is in output.ts; this module decides what goes
// into which output, and remembers the outputs of each canvas.
import { reportError } from '../../report.js';
import { composeSideBySide } from '../frames/image-encoder.js';
import { currentDisplayWriter, newDisplayId, outputMessage, trackDisplay, type DisplayWriter, type ViewContent } from './output.js';
import { widgetScript } from '../widget-bundle.js';

/** What showing needs of a canvas. */
export interface Displayable {
  toString(): string;
  getUrl(): Promise<string>;
  /** The live view of it in an output, in the container `containerId`, with a fresh snapshot. */
  viewContent(containerId: string): Promise<ViewContent>;
}

/** An output: its display id, and every canvas it shows (in order). */
interface Display {
  id: string;
  canvases: readonly Displayable[];
}

// Weak: a canvas that is gone takes its list of outputs with it.
const displays = new WeakMap<Displayable, Display[]>();

async function render(writer: DisplayWriter, display: Display, update: boolean): Promise<void> {
  const { id, canvases } = display;
  // One view keeps the display id as its container id; a row numbers its containers.
  const views = await Promise.all(canvases.map((c, i) => c.viewContent(canvases.length === 1 ? id : `${id}-${i}`)));
  const png = views.length === 1 ? views[0]!.png : await composeSideBySide(views.map((v) => v.png));
  writer(outputMessage({ displayId: id, views, png, widgetScript: widgetScript() }), update);
  if (update) return;
  for (const c of canvases) {
    const list = displays.get(c) ?? [];
    list.push(display);
    displays.set(c, list);
  }
}

/**
 * Shows live views of `canvases` (one or more, side by side) in a new output of the running
 * cell; outside a notebook prints the URL of each one's standalone page. Resolves once the
 * output is sent; never rejects (failures are reported).
 */
export function showInOutput(canvases: readonly Displayable[]): Promise<void> {
  // The writer must be read now: it belongs to the cell running now.
  const writer = currentDisplayWriter();
  const work = writer
    ? render(writer, { id: newDisplayId(), canvases: [...canvases] }, false)
    : Promise.all(canvases.map(async (c) => console.log(`${c.toString()}: open ${await c.getUrl()}`)));
  const done = work.then(() => undefined, (e: unknown) => { reportError('show()', e); });
  trackDisplay(done);
  return done;
}

/**
 * Rewrites every output showing `canvas` with current snapshots (outside a notebook: nothing).
 * Never rejects (failures are reported).
 */
export function freezeOutputs(canvas: Displayable): Promise<void> {
  const writer = currentDisplayWriter();
  if (!writer) return Promise.resolve();
  const done = Promise.all((displays.get(canvas) ?? []).map((d) => render(writer, d, true)))
    .then(() => undefined, (e: unknown) => { reportError('freeze()', e); });
  trackDisplay(done);
  return done;
}

// Views over Jupyter comms, kernel side, in process: a RemoteCanvas shown under a registry shaped
// like the one the dawn-rfb kernel launcher installs (kernel-ext/comms.cjs, tested against a real
// kernel in comm-kernel.test.ts) offers the comm route in its output bundle, takes views over
// comms (hello, frames as binary buffers, acknowledgements, backpressure, events), serves them
// next to websocket views of the same canvas, and refuses bad opens with the websocket's close
// codes and clear log lines. Real GPU (software), real sharp, real ws.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { decodeFrameMessage, CloseCode, PROTOCOL_VERSION } from '../src/index.js';
import { COMM_TARGET, KERNEL_COMMS, type KernelComm, type KernelComms } from '../src/remote/transport/comm-target.js';
import { DISPLAY_WRITER_HOOK, type DisplayMessage } from '../src/remote/notebook/output.js';
import { resetReportedErrors } from '../src/report.js';
import { captureReports, cleanup, isSolid, makeSolidCanvas, openView, until } from './helpers/remote.js';

/** A comm as the launcher hands it to a target, recording what the kernel sends. */
class RecordingComm implements KernelComm {
  static next = 1;
  readonly id = `comm-${RecordingComm.next++}`;
  readonly targetName = COMM_TARGET;
  closed = false;
  closedWith: Record<string, unknown> | undefined;
  bufferedAmount = 0;
  readonly texts: Record<string, unknown>[] = [];
  readonly frames: Uint8Array[] = [];
  onMessage: ((data: Record<string, unknown>, buffers: Uint8Array[]) => void) | null = null;
  onClose: ((data: Record<string, unknown>) => void) | null = null;

  send(data: Record<string, unknown>, buffers: Uint8Array[] = []): void {
    if (this.closed) throw new Error('send on a closed comm');
    if (buffers.length > 0) this.frames.push(buffers[0]!);
    else this.texts.push(JSON.parse(data.text as string) as Record<string, unknown>);
  }

  close(data: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = data;
    const h = this.onClose;
    this.onClose = null;
    h?.(data);
  }

  /** What a front end does: a comm_msg with text. */
  fromView(message: unknown): void {
    this.onMessage?.({ text: JSON.stringify(message) }, []);
  }

  /** What a front end does: comm_close. */
  closeFromView(): void {
    this.closed = true;
    const h = this.onClose;
    this.onClose = null;
    h?.({});
  }
}

const targets = new Map<string, (comm: KernelComm, data: Record<string, unknown>, buffers: Uint8Array[]) => void>();
const registry: KernelComms = {
  version: 1,
  kernelId: 'kernel-under-test',
  registerTarget: (name, open) => { targets.set(name, open); },
  unregisterTarget: (name) => { targets.delete(name); },
};
const outputs: DisplayMessage[] = [];
type Globals = Record<symbol, unknown>;

beforeEach(() => {
  (globalThis as Globals)[KERNEL_COMMS] = registry;
  (globalThis as Globals)[DISPLAY_WRITER_HOOK] = () => (message: DisplayMessage) => { outputs.push(message); };
});

afterEach(() => {
  cleanup();
  delete (globalThis as Globals)[KERNEL_COMMS];
  delete (globalThis as Globals)[DISPLAY_WRITER_HOOK];
  outputs.length = 0;
});

/** The server options of the last output's first view, as the widget gets them. */
function lastBundle(): { token: string; comm?: { target: string; canvasId: string; kernelId?: string } } {
  const html = outputs.at(-1)!.data['text/html']!;
  return JSON.parse(/\n(\[\[.*\]\])\.forEach/.exec(html)![1]!)[0][1];
}

function openComm(data: Record<string, unknown>): RecordingComm {
  const comm = new RecordingComm();
  const open = targets.get(COMM_TARGET);
  if (!open) throw new Error('no comm target registered');
  open(comm, data, []);
  return comm;
}

test('show() offers the comm route in the bundle under a kernel with comms, and none without', async () => {
  const { canvas } = await makeSolidCanvas();
  await canvas.show();
  expect(lastBundle().comm).toEqual({ target: COMM_TARGET, canvasId: canvas.id, kernelId: 'kernel-under-test' });
  expect(lastBundle().token).toBe(canvas.token);
  delete (globalThis as Globals)[KERNEL_COMMS];
  await canvas.show();
  expect(lastBundle().comm).toBeUndefined();
});

test('a view over a comm: hello, frames as buffers, acknowledgements, events; next to a websocket view', async () => {
  const solid = await makeSolidCanvas({ maxBufferedFrames: 2 }, [255, 0, 0, 255]);
  const { canvas } = solid;
  await canvas.show();
  const events: string[] = [];
  canvas.addEventHandler((e) => { events.push(`${e.type}:${(e as unknown as { key: string }).key}`); }, 'key_down');

  const comm = openComm({ canvasId: canvas.id, token: canvas.token, protocol: PROTOCOL_VERSION });
  expect(comm.closed).toBe(false);
  expect(comm.texts[0]).toMatchObject({ type: 'hello', protocol: PROTOCOL_VERSION, canvasId: canvas.id });
  comm.fromView({ type: 'event', event: { type: 'resize', timestamp: 1, width: 64, height: 48, pwidth: 64, pheight: 48, ratio: 1 } });
  await until(() => comm.frames.length > 0, 10_000, 'a frame over the comm');
  const first = decodeFrameMessage(comm.frames.at(-1)!);
  expect(first.header).toMatchObject({ canvasId: canvas.id, width: 64, height: 48 });
  expect(await isSolid(Buffer.from(first.image), [255, 0, 0, 255], 12)).toBe(true);

  // Backpressure: without acknowledgements the comm view gets at most maxBufferedFrames.
  const ws = await openView(canvas);
  for (const color of [[0, 255, 0, 255], [0, 0, 255, 255], [255, 255, 0, 255]] as const) {
    const n = ws.frames.length;
    solid.setColor(color);
    await ws.waitFor(() => ws.frames.length > n, 10_000, 'a websocket frame');
    ws.skipFrames();
  }
  expect(comm.frames.length).toBeLessThanOrEqual(2);
  const views = canvas.stats().views;
  expect(views).toHaveLength(2);

  // Acknowledging lets the newest frame through: the websocket view's last colour.
  comm.fromView({ type: 'ack', index: decodeFrameMessage(comm.frames.at(-1)!).header.index });
  await until(() => comm.frames.length >= 3, 10_000, 'the newest frame after the ack');
  expect(await isSolid(Buffer.from(decodeFrameMessage(comm.frames.at(-1)!).image), [255, 255, 0, 255], 12)).toBe(true);

  comm.fromView({ type: 'event', event: { type: 'key_down', timestamp: 2, key: 'c', modifiers: [] } });
  await until(() => events.length > 0, 5000, 'the key event');
  expect(events).toEqual(['key_down:c']);

  // The view leaves (comm_close from the page); the websocket view goes on.
  comm.closeFromView();
  await until(() => canvas.viewCount === 1, 5000, 'the comm view to be gone');
  solid.setColor([0, 255, 255, 255]);
  await ws.waitFor(() => ws.frames.length > 0, 10_000, 'a frame after the comm view left');
});

test('bad opens are refused with the websocket close codes and logged; a closed canvas closes its comm views', async () => {
  const { canvas } = await makeSolidCanvas();
  await canvas.show();
  const { reports, restore } = captureReports();
  try {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ canvasId: canvas.id, token: 'wrong', protocol: PROTOCOL_VERSION }, CloseCode.badToken, 'missing or wrong token'],
      [{ canvasId: 'nope', token: canvas.token, protocol: PROTOCOL_VERSION }, CloseCode.unknownCanvas, 'no such canvas in this kernel (the kernel restarted, or the output is from another session)'],
      [{ canvasId: canvas.id, token: canvas.token, protocol: 7 }, CloseCode.protocolMismatch, `the view speaks protocol 7, this kernel ${PROTOCOL_VERSION}`],
      [{ hello: 'there' }, CloseCode.protocolMismatch, 'comm_open data must be { canvasId: string, token: string, protocol: number }'],
    ];
    for (const [data, code, reason] of cases) {
      const comm = openComm(data);
      expect(comm.closedWith).toEqual({ code, reason });
      expect(comm.texts).toEqual([]);
    }
    expect(reports.map((r) => r.message)).toEqual(cases.map(([, code, reason]) => `comm_open refused (${reason}); the comm was closed with code ${code}`));

    // A comm view is closed with the canvas; a comm opened for the closed canvas is refused, saying so.
    const live = openComm({ canvasId: canvas.id, token: canvas.token, protocol: PROTOCOL_VERSION });
    canvas.close();
    expect(live.closedWith).toEqual({ code: CloseCode.normal, reason: 'canvas closed' });
    const late = openComm({ canvasId: canvas.id, token: canvas.token, protocol: PROTOCOL_VERSION });
    expect(late.closedWith).toEqual({ code: CloseCode.unknownCanvas, reason: 'canvas closed' });
  } finally {
    restore();
  }
});

test('300 refused comm opens give one report per kind, with counted repeats (the comm id is not in it)', async () => {
  const { canvas } = await makeSolidCanvas();
  await canvas.show();
  resetReportedErrors(); // the test above reported these kinds already (reports are once per process)
  const { reports, restore } = captureReports();
  try {
    const comms = Array.from({ length: 300 }, () => openComm({ canvasId: canvas.id, token: 'wrong', protocol: PROTOCOL_VERSION }));
    expect(comms.every((c) => c.closedWith?.code === CloseCode.badToken)).toBe(true);
    const full = reports.filter((r) => r.repeats === undefined);
    expect(full.map((r) => r.message)).toEqual(['comm_open refused (missing or wrong token); the comm was closed with code 4003']);
    // Repeats are counted at 10 and 100 (and 1000, ...), each one line naming the count.
    expect(reports.filter((r) => r.repeats !== undefined).map((r) => r.repeats)).toEqual([10, 100]);
    // A comm of another kind of refusal is its own report, once.
    openComm({ canvasId: 'nope', token: canvas.token, protocol: PROTOCOL_VERSION });
    openComm({ canvasId: 'nope2', token: canvas.token, protocol: PROTOCOL_VERSION });
    expect(reports.filter((r) => r.repeats === undefined)).toHaveLength(2);
    // The view still connects with the right token.
    const good = openComm({ canvasId: canvas.id, token: canvas.token, protocol: PROTOCOL_VERSION });
    await until(() => good.frames.length > 0, 5000, 'a frame over the good comm');
  } finally {
    restore();
  }
});

test('bad messages over a comm are logged and ignored; the view keeps working', async () => {
  const solid = await makeSolidCanvas();
  const { canvas } = solid;
  await canvas.show();
  const { reports, restore } = captureReports();
  try {
    const comm = openComm({ canvasId: canvas.id, token: canvas.token, protocol: PROTOCOL_VERSION });
    comm.onMessage!({ nothing: 1 }, []);
    comm.onMessage!({ text: 'x'.repeat(20_000) }, []);
    comm.onMessage!({}, [new Uint8Array([1, 2, 3])]);
    comm.onMessage!({ text: '{"type":"event","event":{"type":"explode"}}' }, []);
    expect(reports.map((r) => r.message)).toEqual([
      'comm messages carry { text: "<JSON message>" }; ignored',
      'message over 16384 bytes; ignored',
      'views send JSON text messages only',
      expect.stringContaining('unknown event type "explode"'),
    ]);
    comm.fromView({ type: 'event', event: { type: 'resize', timestamp: 1, width: 32, height: 16, pwidth: 32, pheight: 16, ratio: 1 } });
    await until(() => comm.frames.some((f) => decodeFrameMessage(f).header.width === 32), 10_000, 'a 32x16 frame');
    expect(comm.closed).toBe(false);
  } finally {
    restore();
  }
});

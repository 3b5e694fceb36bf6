// The comm layer the dawn-rfb kernel adds to tslab (kernel-ext/comms.cjs), driven by Debian's
// jupyter_client (test/helpers/comm_client.py starts the launcher with a connection file named as
// Jupyter names it and plays a front end): comm_open / comm_msg / comm_close / comm_info_request
// with binary buffers both ways, busy/idle status around each, a burst of 2,500 buffered messages
// (zeromq refuses overlapping sends; the kernel must queue them), comms answered while a cell
// runs, bad input (malformed and forged messages, unknown targets and comm ids, a throwing
// handler) logged clearly without harm, and open comms closed when the kernel shuts down.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const PYTHON = '/usr/bin/python3';

interface Report {
  kernelId: string;
  error?: string;
  stderr: string;
  [key: string]: unknown;
}

let report: Report;
let workDir = '';

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'dawn-rfb-comms-'));
  const { stdout } = await run(PYTHON, [join(root, 'test', 'helpers', 'comm_client.py'), process.execPath,
    join(root, 'kernel-ext', 'launcher.cjs'), workDir], { timeout: 150_000, maxBuffer: 16 * 1024 * 1024 });
  report = JSON.parse(stdout) as Report;
}, 160_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('the scenario ran to its end', () => {
  expect(report.error, `kernel stderr:\n${report.stderr}`).toBeUndefined();
  expect(report.setup).toEqual({ status: 'ok', out: `kernelId ${report.kernelId}\n` });
});

test('comm_info_request is answered as comm_info_reply with the open comms', () => {
  expect(report.infoEmpty).toEqual({ msg_type: 'comm_info_reply', content: { status: 'ok', comms: {} } });
  const info = report.info as { msg_type: string; content: unknown; cid: string };
  expect(info.msg_type).toBe('comm_info_reply');
  expect(info.content).toEqual({ status: 'ok', comms: { [info.cid]: { target_name: 'echo' } } });
  expect(report.infoAfterClose).toEqual({ status: 'ok', comms: {} });
});

test('buffers travel both ways: open with buffers, echo with buffers, busy/idle around each', () => {
  expect(report.open).toEqual({ opened: { hello: 1 }, sizes: [3, 100_000], first: [1, 0] });
  const reversed = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)).toString('hex');
  expect(report.echo).toEqual({ data: { echo: { x: 'y' }, sizes: [256, 3] }, buffers: [reversed, '636261'], parentSession: true });
  expect(report.echoStatuses).toEqual(['busy', 'idle']);
});

test('a comm_msg marked dawn_rfb_no_status is handled with no busy/idle statuses; unmarked ones keep them', () => {
  // The widget marks its acknowledgements so: three small websocket messages per frame stalled the
  // Jupyter server's socket on Nagle's algorithm.
  expect(report.noStatus).toEqual({ echo: { echo: { ack: 1 }, sizes: [] }, statuses: [], plainStatuses: ['busy', 'idle'] });
});

test('a comm opened with dawn_rfb_reply_on_shell gets its messages on shell, none on iopub', () => {
  expect(report.replyOnShell).toEqual({
    opened: { opened: { shell: true }, sizes: [], first: [] },
    echo: { echo: { via: 'shell' }, sizes: [3] }, buffers: ['030201'],
    iopubCommMsgs: 0, statuses: [],
  });
});

test('the kernel comm layer reads the metadata names the protocol module declares', async () => {
  const { COMM_METADATA } = await import('../src/remote/protocol.js');
  const { createRequire } = await import('node:module');
  const comms = createRequire(import.meta.url)('../kernel-ext/comms.cjs') as { NO_STATUS: string; REPLY_ON_SHELL: string };
  expect({ noStatus: comms.NO_STATUS, replyOnShell: comms.REPLY_ON_SHELL }).toEqual(COMM_METADATA);
});

test('a burst of 2,500 buffered messages arrives complete, in order, intact', () => {
  expect(report.burst).toMatchObject({ count: 2500, inOrder: true, intact: true });
});

test('comm messages are answered while a cell runs', () => {
  expect(report.duringCell).toEqual({ echo: { echo: { during: true }, sizes: [1] }, buffers: ['07'], cellStillRunning: true, cellStatus: 'ok' });
});

test('bad input is logged clearly and ignored; the kernel and the good comm keep working', () => {
  expect(report.unknownTargetClosed).toBe(true);
  expect(report.afterBad).toEqual({ data: { echo: { after: 'bad' }, sizes: [2] }, buffers: ['0201'] });
  expect(report.aliveAfterBad).toEqual({ status: 'ok', out: 'alive 42\n' });
  const log = report.stderr;
  expect(log).toContain('comm_msg without a valid comm_id (a string of 1..256 characters); ignored');
  expect(log).toContain('comm_msg for unknown comm id "no-such-comm" (closed, or never opened); ignored');
  expect(log).toContain('comm_close for unknown comm id "no-such-comm-either"');
  expect(log).toContain('comm_open for unknown target "nope"; closing it (targets: echo)');
  expect(log).toMatch(/comm_open for comm id "[0-9a-f]+", which is already open; ignored/);
  expect(log).toMatch(/message handler threw: Error: handler boom/);
  expect(log).toContain('message with an invalid signature (msg_type "comm_msg"); ignored');
  expect(log).toContain('malformed message on the shell channel (its header is not JSON); ignored');
  expect(log).toContain('malformed message on the shell channel (message with 1 parts after the signature (at least 4 wanted)); ignored');
  expect(log).toContain('malformed message on the shell channel (message without the <IDS|MSG> delimiter); ignored');
  // tslab's own "unknown msg_type" warning means a comm message reached it unhandled.
  expect(log).not.toContain('unknown msg_type');
  expect(log).not.toContain('invalid hmac');
});

test('comms close from either side; a shutdown closes the open ones and the kernel exits', () => {
  expect(report.closedByKernel).toEqual({ bye: true });
  expect(report.closedByFrontEnd).toBe('{"reason":"front end closed it"}');
  expect(report.closedAtShutdown).toEqual({ code: 1001, reason: 'the kernel is shutting down' });
  expect(report.exitCode).toBe(0);
});

#!/usr/bin/python3
"""Drives the dawn-rfb kernel (kernel-ext/launcher.cjs) with Debian's jupyter_client to check its
comm layer, and prints one JSON report on stdout (test/comm-kernel.test.ts asserts on it).

    /usr/bin/python3 test/helpers/comm_client.py NODE LAUNCHER WORKDIR

Starts the kernel itself (a connection file named kernel-<id>.json in WORKDIR, as Jupyter names
it), so the kernel's stderr (the comm layer's log) is part of the report.
"""
import json
import os
import subprocess
import sys
import time
import uuid

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.connect import write_connection_file

ECHO_TARGET = r"""
const comms = (globalThis as any)[Symbol.for('dawn-rfb.kernel-comms')];
comms.registerTarget('echo', (comm: any, data: any, buffers: Uint8Array[]) => {
  comm.send({ opened: data, sizes: buffers.map((b) => b.length), first: buffers.map((b) => b[0]) });
  comm.onMessage = (d: any, b: Uint8Array[]) => {
    if (d.burst) {
      for (let i = 0; i < d.burst; i++) comm.send({ i }, [new Uint8Array(d.size).fill(i % 251)]);
    } else if (d.close) {
      comm.close({ bye: true });
    } else if (d.throw) {
      throw new Error('handler boom');
    } else {
      comm.send({ echo: d, sizes: b.map((x) => x.length) }, b.map((x) => Uint8Array.from(x).reverse()));
    }
  };
  comm.onClose = (d: any) => { (globalThis as any).closedWith = d; };
});
console.log('kernelId', comms.kernelId);
"""


class Driver:
    def __init__(self, kc):
        self.kc = kc
        self.iopub = []  # messages read but not yet consumed
        self.shell = []  # shell messages read but not yet consumed

    def send(self, msg_type, content, buffers=None, metadata=None):
        msg = self.kc.session.msg(msg_type, content, metadata=metadata or {})
        self.kc.session.send(self.kc.shell_channel.socket, msg, buffers=buffers or [])
        return msg['header']['msg_id']

    def wait_shell(self, pred, timeout=30):
        for i, m in enumerate(self.shell):
            if pred(m):
                return self.shell.pop(i)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self.kc.get_shell_msg(timeout=max(0.01, end - time.monotonic()))
            if pred(m):
                return m
            self.shell.append(m)
        raise TimeoutError('no matching shell message')

    def shell_reply(self, msg_id, timeout=30):
        return self.wait_shell(lambda m: m['parent_header'].get('msg_id') == msg_id, timeout)

    def wait_iopub(self, pred, timeout=30):
        for i, m in enumerate(self.iopub):
            if pred(m):
                return self.iopub.pop(i)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                m = self.kc.get_iopub_msg(timeout=max(0.01, end - time.monotonic()))
            except Exception:
                break
            if pred(m):
                return m
            self.iopub.append(m)
        raise TimeoutError('no matching iopub message')

    def comm_msgs(self, comm_id, n, timeout=60):
        out = []
        end = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < end:
            out.append(self.wait_iopub(lambda m: m['msg_type'] == 'comm_msg' and m['content'].get('comm_id') == comm_id,
                                       timeout=max(0.01, end - time.monotonic())))
        return out

    def execute(self, code, timeout=120):
        msg_id = self.kc.execute(code)
        reply = self.shell_reply(msg_id, timeout)
        outputs = []
        while True:
            m = self.wait_iopub(lambda m: m['parent_header'].get('msg_id') == msg_id, timeout=10)
            if m['msg_type'] == 'stream':
                outputs.append(m['content']['text'])
            if m['msg_type'] == 'status' and m['content']['execution_state'] == 'idle':
                break
        return reply['content']['status'], ''.join(outputs)

    def statuses(self, msg_id):
        """The status messages sent for request msg_id (read so far)."""
        return [m['content']['execution_state'] for m in self.iopub
                if m['msg_type'] == 'status' and m['parent_header'].get('msg_id') == msg_id]


def main():
    node, launcher, workdir = sys.argv[1:4]
    kernel_id = str(uuid.uuid4())
    conn_file = os.path.join(workdir, f'kernel-{kernel_id}.json')
    write_connection_file(conn_file, ip='127.0.0.1', key=uuid.uuid4().hex.encode())
    stderr_path = os.path.join(workdir, 'kernel-stderr.txt')
    report = {'kernelId': kernel_id}
    with open(stderr_path, 'w') as err:
        proc = subprocess.Popen([node, launcher, '--config-path', conn_file], stdout=err, stderr=err, cwd=workdir)
    kc = BlockingKernelClient()
    kc.load_connection_file(conn_file)
    kc.start_channels(hb=False)  # tslab answers heartbeats only once it runs; the process is watched instead
    d = Driver(kc)
    try:
        kc.wait_for_ready(timeout=60)
        status, out = d.execute(ECHO_TARGET)
        report['setup'] = {'status': status, 'out': out}

        # comm_info with no comm open
        mid = d.send('comm_info_request', {})
        r = d.shell_reply(mid)
        report['infoEmpty'] = {'msg_type': r['msg_type'], 'content': r['content']}

        # open with buffers; the target answers with what it got
        cid = uuid.uuid4().hex
        mid = d.send('comm_open', {'comm_id': cid, 'target_name': 'echo', 'data': {'hello': 1}},
                     buffers=[b'\x01\x02\x03', bytes(100_000)])
        opened = d.comm_msgs(cid, 1)[0]
        report['open'] = opened['content']['data']
        d.wait_iopub(lambda m: m['msg_type'] == 'status' and m['parent_header'].get('msg_id') == mid
                     and m['content']['execution_state'] == 'idle')

        # a message with a buffer, echoed reversed
        mid = d.send('comm_msg', {'comm_id': cid, 'data': {'x': 'y'}}, buffers=[bytes(range(256)), b'abc'])
        echo = d.comm_msgs(cid, 1)[0]
        report['echo'] = {'data': echo['content']['data'],
                          'buffers': [bytes(b).hex() for b in echo['buffers']],
                          'parentSession': echo['parent_header'].get('session') == kc.session.session}
        idle = d.wait_iopub(lambda m: m['msg_type'] == 'status' and m['parent_header'].get('msg_id') == mid
                            and m['content']['execution_state'] == 'idle')
        report['echoStatuses'] = d.statuses(mid) + [idle['content']['execution_state']]

        # an acknowledgement-like comm_msg marked dawn_rfb_no_status: handled, echoed, no statuses.
        # (iopub is ordered: once the unmarked message's idle is here, any status of the marked
        # one would be too.)
        marked = d.send('comm_msg', {'comm_id': cid, 'data': {'ack': 1}}, metadata={'dawn_rfb_no_status': True})
        marked_echo = d.comm_msgs(cid, 1)[0]
        plain = d.send('comm_msg', {'comm_id': cid, 'data': {'plain': 1}})
        d.comm_msgs(cid, 1)
        d.wait_iopub(lambda m: m['msg_type'] == 'status' and m['parent_header'].get('msg_id') == plain
                     and m['content']['execution_state'] == 'idle')
        report['noStatus'] = {'echo': marked_echo['content']['data'], 'statuses': d.statuses(marked),
                              'plainStatuses': d.statuses(plain) + ['idle']}

        # a comm opened with dawn_rfb_reply_on_shell: its messages come on shell, to this client
        # only, none on iopub
        scid = uuid.uuid4().hex
        sopen = d.send('comm_open', {'comm_id': scid, 'target_name': 'echo', 'data': {'shell': True}},
                       metadata={'dawn_rfb_reply_on_shell': True})
        on_shell = lambda m: m['msg_type'] == 'comm_msg' and m['content'].get('comm_id') == scid
        opened_on_shell = d.wait_shell(on_shell)
        d.wait_iopub(lambda m: m['msg_type'] == 'status' and m['parent_header'].get('msg_id') == sopen
                     and m['content']['execution_state'] == 'idle')
        smid = d.send('comm_msg', {'comm_id': scid, 'data': {'via': 'shell'}}, buffers=[b'\x01\x02\x03'],
                      metadata={'dawn_rfb_no_status': True})
        echo_on_shell = d.wait_shell(on_shell)
        d.send('comm_close', {'comm_id': scid, 'data': {}})
        status, _ = d.execute("console.log('after shell comm')")  # iopub up to here has been read
        report['replyOnShell'] = {
            'opened': opened_on_shell['content']['data'],
            'echo': echo_on_shell['content']['data'],
            'buffers': [bytes(b).hex() for b in echo_on_shell['buffers']],
            'iopubCommMsgs': sum(1 for m in d.iopub if m['content'].get('comm_id') == scid),
            'statuses': d.statuses(smid),
        }

        # a burst past 2,000 frames: every one arrives, in order, intact
        t0 = time.monotonic()
        d.send('comm_msg', {'comm_id': cid, 'data': {'burst': 2500, 'size': 1000}})
        burst = d.comm_msgs(cid, 2500, timeout=120)
        report['burst'] = {
            'count': len(burst),
            'inOrder': [m['content']['data'].get('i') for m in burst] == list(range(2500)),
            'intact': all(len(m['buffers']) == 1 and bytes(m['buffers'][0]) == bytes([i % 251]) * 1000
                          for i, m in enumerate(burst)),
            'seconds': round(time.monotonic() - t0, 2),
        }

        # comms during a running cell: the echo comes back before the cell ends
        exec_id = kc.execute("await new Promise((r) => setTimeout(r, 3000)); console.log('cell done');")
        time.sleep(0.5)
        d.send('comm_msg', {'comm_id': cid, 'data': {'during': True}}, buffers=[b'\x07'])
        during = d.comm_msgs(cid, 1, timeout=10)[0]
        got_echo_at = time.monotonic()
        exec_reply = d.shell_reply(exec_id, timeout=60)
        report['duringCell'] = {
            'echo': during['content']['data'],
            'buffers': [bytes(b).hex() for b in during['buffers']],
            'cellStillRunning': time.monotonic() - got_echo_at > 1.0,
            'cellStatus': exec_reply['content']['status'],
        }

        # comm_info lists the open comm
        mid = d.send('comm_info_request', {'target_name': 'echo'})
        r = d.shell_reply(mid)
        report['info'] = {'msg_type': r['msg_type'], 'content': r['content'], 'cid': cid}

        # bad input: none of it may crash the kernel or disturb the good comm
        bad = uuid.uuid4().hex
        d.send('comm_msg', {'data': {'no': 'id'}})
        d.send('comm_msg', {'comm_id': 123, 'data': {}})
        d.send('comm_msg', {'comm_id': 'x' * 1000, 'data': {}})
        d.send('comm_msg', {'comm_id': 'no-such-comm', 'data': {}}, buffers=[b'zz'])
        d.send('comm_close', {'comm_id': 'no-such-comm-either'})
        d.send('comm_open', {'comm_id': bad, 'target_name': 'nope', 'data': {}})
        closed_unknown = d.wait_iopub(lambda m: m['msg_type'] == 'comm_close' and m['content'].get('comm_id') == bad)
        report['unknownTargetClosed'] = closed_unknown is not None
        d.send('comm_open', {'comm_id': cid, 'target_name': 'echo', 'data': {}})  # duplicate id
        d.send('comm_msg', {'comm_id': cid, 'data': {'throw': True}})
        sock = kc.shell_channel.socket
        header = json.dumps(kc.session.msg_header('comm_msg'), default=str).encode()
        # wrong signature (with a buffer), then frames that are not JSON, then too few frames
        sock.send_multipart([b'<IDS|MSG>', b'0' * 64, header, b'{}', b'{}',
                             json.dumps({'comm_id': cid, 'data': {'forged': True}}).encode(), b'buf'])
        sock.send_multipart([b'<IDS|MSG>', b'0' * 64, b'not json', b'{}', b'{}', b'{}'])
        sock.send_multipart([b'<IDS|MSG>', b'0' * 64, header])
        sock.send_multipart([b'no delimiter at all'])
        # the good comm still works, and only the real echo arrives (no forged one)
        d.send('comm_msg', {'comm_id': cid, 'data': {'after': 'bad'}}, buffers=[b'\x01\x02'])
        after = d.comm_msgs(cid, 1, timeout=20)[0]
        report['afterBad'] = {'data': after['content']['data'], 'buffers': [bytes(b).hex() for b in after['buffers']]}
        status, out = d.execute("console.log('alive', 6 * 7)")
        report['aliveAfterBad'] = {'status': status, 'out': out}

        # the kernel closes a comm; the front end closes another
        d.send('comm_msg', {'comm_id': cid, 'data': {'close': True}})
        c = d.wait_iopub(lambda m: m['msg_type'] == 'comm_close' and m['content'].get('comm_id') == cid)
        report['closedByKernel'] = c['content']['data']
        cid2 = uuid.uuid4().hex
        d.send('comm_open', {'comm_id': cid2, 'target_name': 'echo', 'data': {'second': True}})
        d.comm_msgs(cid2, 1)
        d.send('comm_close', {'comm_id': cid2, 'data': {'reason': 'front end closed it'}})
        time.sleep(0.3)
        status, out = d.execute("console.log(JSON.stringify((globalThis as any).closedWith))")
        report['closedByFrontEnd'] = out.strip()
        mid = d.send('comm_info_request', {})
        report['infoAfterClose'] = d.shell_reply(mid)['content']

        # shutdown closes the comms that are still open
        cid3 = uuid.uuid4().hex
        d.send('comm_open', {'comm_id': cid3, 'target_name': 'echo', 'data': {}})
        d.comm_msgs(cid3, 1)
        kc.shutdown()
        c = d.wait_iopub(lambda m: m['msg_type'] == 'comm_close' and m['content'].get('comm_id') == cid3, timeout=20)
        report['closedAtShutdown'] = c['content']['data']
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        report['exitCode'] = proc.poll()
    except Exception as e:  # report what happened so far
        report['error'] = f'{type(e).__name__}: {e}'
    finally:
        kc.stop_channels()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with open(stderr_path) as f:
            report['stderr'] = f.read()
    print(json.dumps(report))


if __name__ == '__main__':
    main()

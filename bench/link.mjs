// An emulated slow link between the benchmark's server and its client.
//
// As root (with iproute2): the client runs in a network namespace of its own, joined to this one
// by a veth pair; each end's egress is shaped by `tc qdisc ... tbf` (bandwidth, in the kernel),
// and the delay is added by a small TCP relay on the host end (this kernel has no netem).
// Otherwise: the relay alone emulates both, on loopback, and the record says so.
import { execFileSync } from 'node:child_process';
import { writeFileSync, chmodSync, rmSync } from 'node:fs';
import { startRelay } from './relay.mjs';

/** Parses "20mbit/40ms" into {rateBitsPerSecond, rttMs, name}; "none" into null. */
export function parseLink(spec) {
  if (spec === 'none' || spec === 'loopback') return null;
  const m = /^(\d+(?:\.\d+)?)(k|m)bit\/(\d+(?:\.\d+)?)ms$/i.exec(spec);
  if (!m) throw new Error(`bad link ${JSON.stringify(spec)}: write RATE(k|m)bit/RTTms, e.g. 20mbit/40ms, or none`);
  const rate = Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1e6 : 1e3);
  return { name: spec.toLowerCase(), rateBitsPerSecond: rate, rttMs: Number(m[3]) };
}

function ip(...args) {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function canUseNamespaces() {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    execFileSync('tc', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (ip, tc) not installed';
  }
  return null;
}

const open = new Set();
process.once('exit', () => { for (const l of open) l.closeSync(); });
// Interrupted: remove the namespaces first (the 'exit' event does not come on a signal).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const l of open) l.closeSync();
    process.exit(130);
  });
}

/**
 * Opens link `spec` (from {@link parseLink}) towards the server at `target` ({host, port}).
 * Resolves to {name, mode ('netns+tbf+relay' | 'relay'), note, host, port, wrap(cmd, args),
 * chromiumPath(), close()}: connect clients to host:port, and start them through `wrap` so
 * they run inside the namespace.
 */
export async function openLink(spec, target) {
  const why = canUseNamespaces();
  if (why) {
    const relay = await startRelay({ target, rttMs: spec.rttMs, rateBitsPerSecond: spec.rateBitsPerSecond });
    return {
      name: spec.name, mode: 'relay', note: `${why}: bandwidth and delay emulated in a user-space relay`,
      host: relay.host, port: relay.port, wrap: (cmd, args) => [cmd, args], chromiumPath: () => '/usr/bin/chromium',
      close: () => relay.close(),
    };
  }
  const id = process.pid % 100000;
  const ns = `drfb${id}`;
  const hostIf = `drfbh${id}`;
  const clientIf = `drfbc${id}`;
  const net = `10.${200 + (id % 50)}.${(id >> 6) % 250}`;
  const [hostIp, clientIp] = [`${net}.1`, `${net}.2`];
  const wrapper = `/tmp/drfb-chromium-${id}.sh`;
  const link = {
    closeSync() {
      try { ip('netns', 'del', ns); } catch { /* already gone */ }
      rmSync(wrapper, { force: true });
      open.delete(link);
    },
  };
  open.add(link);
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', clientIf);
    ip('link', 'set', clientIf, 'netns', ns);
    // No IPv6 on the pair: its link-local addresses would come up (after duplicate address
    // detection) while Chromium loads a page, and Chromium aborts every request in flight on a
    // network change (net::ERR_NETWORK_CHANGED: seen as a Notebook 6 page that never loaded).
    execFileSync('sysctl', ['-q', '-w', `net.ipv6.conf.${hostIf}.disable_ipv6=1`], { stdio: ['ignore', 'ignore', 'pipe'] });
    ip('netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', `net.ipv6.conf.${clientIf}.disable_ipv6=1`);
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${clientIp}/30`, 'dev', clientIf);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', clientIf, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    // Bandwidth in the kernel, both ways; a queue of up to 400 ms before tbf drops.
    const tbf = ['qdisc', 'add', 'dev', '', 'root', 'tbf', 'rate', `${spec.rateBitsPerSecond}bit`, 'burst', '32kbit', 'latency', '400ms'];
    tbf[3] = hostIf;
    execFileSync('tc', tbf, { stdio: ['ignore', 'ignore', 'pipe'] });
    tbf[3] = clientIf;
    execFileSync('ip', ['netns', 'exec', ns, 'tc', ...tbf], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    link.closeSync();
    const relay = await startRelay({ target, rttMs: spec.rttMs, rateBitsPerSecond: spec.rateBitsPerSecond });
    return {
      name: spec.name, mode: 'relay', note: `network namespace failed (${String(e.stderr ?? e.message).trim()}): emulated in a user-space relay`,
      host: relay.host, port: relay.port, wrap: (cmd, args) => [cmd, args], chromiumPath: () => '/usr/bin/chromium',
      close: () => relay.close(),
    };
  }
  const relay = await startRelay({ listenHost: hostIp, target, rttMs: spec.rttMs });
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  return {
    name: spec.name, mode: 'netns+tbf+relay', note: `client in netns ${ns}, tbf ${spec.rateBitsPerSecond / 1e6} Mbit/s each way on the veth pair, relay adds ${spec.rttMs} ms RTT`,
    host: relay.host, port: relay.port,
    wrap: (cmd, args) => ['ip', ['netns', 'exec', ns, cmd, ...args]],
    chromiumPath: () => wrapper,
    close: async () => {
      await relay.close();
      link.closeSync();
    },
  };
}

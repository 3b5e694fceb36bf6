// Prints one JSON line: whether Dawn finds an adapter on the given backend, and which.
// Run in a child process by setup.mjs so a crashing driver cannot take the setup down.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const backend = process.argv[2] ?? 'vulkan';
const featureLevel = backend === 'vulkan' ? 'core' : 'compatibility';
try {
  const gpu = create([`backend=${backend}`]);
  const adapter = await gpu.requestAdapter({ featureLevel });
  if (!adapter) {
    console.log(JSON.stringify({ ok: false, reason: `Dawn found no ${backend} adapter at ${featureLevel} feature level` }));
  } else {
    const i = adapter.info;
    console.log(JSON.stringify({ ok: true, summary: `${i.description || i.device} (${i.vendor}, ${backend})` }));
  }
} catch (e) {
  console.log(JSON.stringify({ ok: false, reason: String(e?.message ?? e) }));
}
process.exit(0);

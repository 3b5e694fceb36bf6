// resolveRemoteCanvasOptions: every RemoteCanvas default is applied there, once, and the canvas
// and its frame stream read only the result. The defaults must be the documented ones: those
// of the README's option table are read from the README itself.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, expect, test } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { DEFAULT_MAX_VIEW_PIXELS, resolveRemoteCanvasOptions } from '../src/remote/options.js';

const cores = Math.min(8, availableParallelism());
const savedTemplate = process.env.DAWN_RFB_URL_TEMPLATE;
afterEach(() => {
  if (savedTemplate === undefined) delete process.env.DAWN_RFB_URL_TEMPLATE;
  else process.env.DAWN_RFB_URL_TEMPLATE = savedTemplate;
});

test('no options: the documented defaults, frozen', () => {
  delete process.env.DAWN_RFB_URL_TEMPLATE;
  const o = resolveRemoteCanvasOptions({}, [320, 200]);
  expect(o).toEqual({
    quality: 80, codec: 'auto', videoBitrate: 4_000_000, lossyFormat: 'jpeg', losslessDelayMs: 300, maxBufferedFrames: 2, maxEncodes: cores, maxFrameParts: cores,
    adaptive: true, dirtyTiles: true, gpuTileCompare: 'auto', gpuColorConvert: 'auto', cssWidth: '320px', cssHeight: '200px',
    maxViewPixels: 4096 * 4096, resizable: true, server: {}, urlTemplate: undefined,
  });
  expect(DEFAULT_MAX_VIEW_PIXELS).toBe(16_777_216);
  expect(Object.isFrozen(o)).toBe(true);
});

test("the README's option table states the defaults that are applied", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  // RemoteCanvas's own table (the canvas options' table comes before it), from its first row.
  const table = readme.slice(readme.indexOf('| `quality` |'));
  const rows = [...table.slice(0, table.indexOf('\n\n')).matchAll(/^\| `([^`]+)`(?: \/ `([^`]+)`)? \| ([^|]+) \|/gm)];
  const o = resolveRemoteCanvasOptions({}, [640, 480]) as unknown as Record<string, unknown>;
  const stated: Record<string, unknown> = {};
  for (const [, name, second, text] of rows) {
    const literal = /^`([^`]+)`/.exec(text!.trim());
    // Defaults that depend on the machine or the canvas are stated in words.
    const value = literal ? JSON.parse(literal[1]!) : text!.trim() === 'CPU cores (max 8)' ? cores : text!.trim() === 'logical size in px' ? undefined : text;
    if (second) {
      expect(value, `${name} / ${second}`).toBeUndefined();
      stated[name!] = '640px';
      stated[second] = '480px';
    } else {
      stated[name!] = value;
    }
  }
  expect(Object.keys(stated).length).toBeGreaterThanOrEqual(14);
  for (const [name, value] of Object.entries(stated)) expect(o[name], name).toEqual(value);
});

test('given values are kept; a key given as undefined gets its default', () => {
  process.env.DAWN_RFB_URL_TEMPLATE = '{proto}://{host}{base}proxy/{port}';
  const server = { port: 0 };
  const o = resolveRemoteCanvasOptions({
    quality: undefined, lossyFormat: 'webp', losslessDelayMs: Infinity, maxBufferedFrames: 5, maxEncodes: 1, maxFrameParts: 3,
    adaptive: false, dirtyTiles: false, gpuTileCompare: true, gpuColorConvert: false, cssWidth: '100%', cssHeight: '70vh', maxViewPixels: Infinity,
    resizable: false, server,
  }, [10, 10]);
  expect(o).toMatchObject({
    quality: 80, lossyFormat: 'webp', losslessDelayMs: Infinity, maxBufferedFrames: 5, maxEncodes: 1, maxFrameParts: 3,
    adaptive: false, dirtyTiles: false, gpuTileCompare: true, gpuColorConvert: false, cssWidth: '100%', cssHeight: '70vh', maxViewPixels: Infinity,
    resizable: false, urlTemplate: '{proto}://{host}{base}proxy/{port}',
  });
  expect(o.server).toBe(server);
  expect(resolveRemoteCanvasOptions({ urlTemplate: '{proto}://{host}:{port}' }, [10, 10]).urlTemplate).toBe('{proto}://{host}:{port}');
});

test('resolving checks first: a bad or unknown option throws, naming it', () => {
  expect(() => resolveRemoteCanvasOptions({ quality: 0 }, [10, 10])).toThrow(InvalidArgumentError);
  expect(() => resolveRemoteCanvasOptions({ qualty: 80 } as never, [10, 10])).toThrow(/unknown RemoteCanvas option 'qualty'; did you mean 'quality'\?/);
  expect(() => resolveRemoteCanvasOptions({ maxFrameParts: 0 }, [10, 10])).toThrow(/maxFrameParts must be an integer from 1/);
});

test('codec and videoBitrate: the names and range allowed, and what is refused with why', () => {
  for (const codec of ['auto', 'jpeg', 'h264'] as const) expect(resolveRemoteCanvasOptions({ codec }, [10, 10]).codec).toBe(codec);
  expect(() => resolveRemoteCanvasOptions({ codec: 'H264' as never }, [10, 10])).toThrow('codec must be one of auto, jpeg, h264, vp9, av1, got "H264"');
  expect(() => resolveRemoteCanvasOptions({ codec: 'png' as never }, [10, 10])).toThrow(InvalidArgumentError);
  for (const codec of ['vp9', 'av1'] as const) {
    expect(() => resolveRemoteCanvasOptions({ codec }, [10, 10])).toThrow(`codec ${codec} is not available: its encoder (npm @napi-rs/webcodecs) holds 24 frames before the first comes out`);
  }
  expect(resolveRemoteCanvasOptions({ videoBitrate: 100_000 }, [10, 10]).videoBitrate).toBe(100_000);
  expect(resolveRemoteCanvasOptions({ videoBitrate: 200_000_000 }, [10, 10]).videoBitrate).toBe(200_000_000);
  for (const bad of [99_999, 200_000_001, 2.5e6 + 0.5, Infinity, '4000000']) {
    expect(() => resolveRemoteCanvasOptions({ videoBitrate: bad as number }, [10, 10])).toThrow(/videoBitrate must be an integer number of bits a second from 100000 to 200000000/);
  }
});

// The benchmarks' command lines, parsed one way for all of them: `--help` (`-h`) prints the
// script's usage and exits 0; an unknown option, a missing value or a bad one prints
// "<name>: <what was wrong>", then the usage, and exits 2, before anything starts (no GPU,
// browser or Jupyter is brought up for a typo). The checks say what is allowed, as the canvas's
// own option errors do.
import { parseArgs } from 'node:util';

/**
 * Parses `argv` with node:util's parseArgs (`options` as it takes them; `help` is added). Returns
 * the values and `fail(message)`, which reports a bad value the same way and exits 2.
 */
export function benchArgs(name, usage, options, argv = process.argv.slice(2)) {
  const fail = (message) => {
    console.error(`${name}: ${message}\n\n${usage}`);
    process.exit(2);
  };
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h', default: false } } }));
  } catch (e) {
    fail(e.message);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return { values, fail };
}

/** A comma-separated list, blanks dropped. */
export const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** `value` as a whole number >= `min`, or fail naming `--option`. */
export function wholeNumber(fail, option, value, min = 1) {
  const n = Number(value);
  if (!/^\d+$/.test(String(value).trim()) || !Number.isSafeInteger(n) || n < min) fail(`--${option}: expected a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** `value` as a number > 0, or fail naming `--option`. */
export function positiveNumber(fail, option, value) {
  const n = Number(value);
  if (String(value).trim() === '' || !Number.isFinite(n) || n <= 0) fail(`--${option}: expected a number > 0, got ${JSON.stringify(value)}`);
  return n;
}

/** `WIDTHxHEIGHT` as [width, height], each at least `min`; `even`: both sides even (4:2:0 video); else fail naming `--option`. */
export function frameSize(fail, option, value, { min = 16, even = false } = {}) {
  const m = /^(\d+)x(\d+)$/.exec(value);
  const [w, h] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || w < min || h < min || w > 16384 || h > 16384 || (even && (w % 2 !== 0 || h % 2 !== 0))) {
    fail(`--${option}: bad size ${JSON.stringify(value)}; write WIDTHxHEIGHT with sides from ${min} to 16384${even ? ', both even' : ''}, e.g. 1280x720`);
  }
  return [w, h];
}

/** `value` if it is one of `allowed`, or fail naming `--option` and the allowed ones. */
export function oneOf(fail, option, value, allowed) {
  if (!allowed.includes(value)) fail(`--${option}: unknown ${JSON.stringify(value)}; valid: ${allowed.join(', ')}`);
  return value;
}

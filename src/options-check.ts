// The one check of option names that every options object of the public API goes through: in
// JavaScript (and in TypeScript through `as` or a variable) a misspelled option such as
// `{ sise: [320, 200] }` would otherwise be ignored silently and its default used. Imports only
// errors.ts, so every layer (gpu, canvas, resources, remote, testing, cli) can use it.
import { InvalidArgumentError } from './errors.js';

/**
 * The option names of an options interface, checked by the compiler against the interface: a
 * name missing from `names` (an option added later) or not in the interface is a type error.
 */
export function optionNames<T extends object>(names: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(names));
}

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The allowed name closest to `name`, when close enough to be a likely typo (a plural, a
 * dropped or swapped letter, another case), else undefined.
 */
export function closestName(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const dist = distance(name, candidate);
    if (dist < bestDistance) [best, bestDistance] = [candidate, dist];
  }
  const limit = Math.max(1, Math.min(3, Math.floor(Math.max(name.length, best?.length ?? 0) / 3)));
  return bestDistance <= limit ? best : undefined;
}

/**
 * Throws {@link InvalidArgumentError} when `options` has a key that is not in `allowed`:
 * "unknown RemoteCanvas option 'qualty'; did you mean 'quality'? allowed: ...". Keys whose value
 * is undefined count too (a typo is a typo). Non-objects are left to the caller's own check.
 * @param what names the options in the message, e.g. "RemoteCanvas" or "server".
 */
export function checkOptionNames(what: string, options: unknown, allowed: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return;
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length === 0) return;
  const parts = unknown.map((k) => {
    const near = closestName(k, allowed);
    return near === undefined ? `'${k}'` : `'${k}' (did you mean '${near}'?)`;
  });
  const first = unknown[0]!;
  const near = closestName(first, allowed);
  const head = unknown.length === 1
    ? `unknown ${what} option '${first}'${near === undefined ? '' : `; did you mean '${near}'?`}`
    : `unknown ${what} options ${parts.join(', ')}`;
  const joint = head.endsWith('?') ? ' ' : '; ';
  throw new InvalidArgumentError(`${head}${joint}allowed: ${allowed.join(', ')}`);
}

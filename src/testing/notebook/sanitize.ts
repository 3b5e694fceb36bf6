// Text outputs hold volatile parts (timings, ports, tokens, ids) that differ on every run; like
// nbval's sanitizers, regular expressions replace them before text is compared.

/** A replacement applied to text outputs before comparing them. */
export interface Sanitizer {
  pattern: RegExp;
  replacement: string;
}

/** The default sanitizers: UUIDs, ISO dates, host:port, long hex tokens/ids, durations and rates. */
export const DEFAULT_SANITIZERS: readonly Sanitizer[] = [
  { pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, replacement: '<uuid>' },
  { pattern: /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, replacement: '<date>' },
  { pattern: /\b(127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1?\]):\d+/g, replacement: '$1:<port>' },
  { pattern: /\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b/gi, replacement: '<hex>' },
  { pattern: /\b\d+(?:\.\d+)?\s?(ms|s|µs|us|ns|fps|kB\/s|MB\/s|B\/s)\b/g, replacement: '<n> $1' },
];

/** Applies sanitizers in order. */
export function sanitize(text: string, sanitizers: readonly Sanitizer[]): string {
  let out = text;
  for (const s of sanitizers) out = out.replace(s.pattern, s.replacement);
  return out;
}

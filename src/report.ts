// Where errors that nobody can catch go: uncaptured GPU errors, exceptions in draw functions and
// event handlers. They are written once per distinct message (a broken draw function at 60 fps
// would otherwise flood the output) and never thrown, so the render loop keeps running.

/** Receives a reported problem; `where` says which part of dawn-rfb saw it. */
export type Reporter = (where: string, error: unknown) => void;

const seen = new Map<string, number>();
const MAX_REMEMBERED = 1000;

function defaultReporter(where: string, error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  console.error(`[dawn-rfb] ${where}: ${text}`);
}

let reporter: Reporter = defaultReporter;

/**
 * Replaces the function that receives reported errors (default: `console.error`, which tslab
 * routes to the running cell's output). Returns the previous one.
 */
export function setReporter(fn: Reporter): Reporter {
  const previous = reporter;
  reporter = fn;
  return previous;
}

/**
 * Reports an error that cannot be thrown to a caller. The same `where` and message are reported
 * only once; returns whether this call reported it.
 */
export function reportError(where: string, error: unknown): boolean {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const key = `${where}\u0000${message}`;
  const count = seen.get(key) ?? 0;
  seen.set(key, count + 1);
  if (count > 0) return false;
  if (seen.size > MAX_REMEMBERED) seen.delete(seen.keys().next().value as string);
  try {
    reporter(where, error);
  } catch {
    defaultReporter(where, error);
  }
  return true;
}

/** Forgets which errors were reported, so each is reported again once. */
export function resetReportedErrors(): void {
  seen.clear();
}

/** Whether a value is a promise or another thenable (what an async callback returns). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function')
    && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Reports the rejection of what a user callback returned, if it is a promise: left unhandled,
 * the rejection of an async draw function or event handler would end a Node process.
 */
export function reportRejection(where: string, value: unknown): void {
  if (isThenable(value)) value.then(undefined, (e: unknown) => { reportError(where, e); });
}

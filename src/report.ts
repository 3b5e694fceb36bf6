// Where errors that nobody can catch go: uncaptured GPU errors, exceptions in draw functions and
// event handlers. Each distinct error (same place, same message, same canvas) is written in full
// once; repeats are counted and reported as one short line when the count reaches 10, 100,
// 1000, ... and when the canvas closes, so a broken draw function at 60 fps cannot flood the
// output but its repeats stay visible (rendercanvas logs repeats with a count too). A new canvas
// (a re-run notebook cell) has its own record, so its errors are reported again. Never thrown,
// so the render loop keeps running.
import { InvalidArgumentError } from './errors.js';

/**
 * Receives a reported problem; `where` says which part of dawn-rfb saw it. `repeats` is given
 * only for a repeat notice: how many times in all this error has happened so far.
 */
export type Reporter = (where: string, error: unknown, repeats?: number) => void;

interface Seen {
  count: number;
  /** The count at which the error was last reported (1 for the full report). */
  reported: number;
  where: string;
  error: unknown;
}

const seen = new Map<string, Seen>();
const MAX_REMEMBERED = 1000;
const scopeIds = new WeakMap<object, number>();
let nextScopeId = 1;

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function defaultReporter(where: string, error: unknown, repeats?: number): void {
  if (repeats !== undefined) {
    console.error(`[dawn-rfb] ${where}: the same error again, ${repeats} times in all: ${messageOf(error).split('\n')[0]}`);
    return;
  }
  const text = error instanceof Error ? (error.stack ?? messageOf(error)) : String(error);
  console.error(`[dawn-rfb] ${where}: ${text}`);
}

let reporter: Reporter = defaultReporter;

/**
 * Replaces the function that receives reported errors (default: `console.error`, which tslab
 * routes to the running cell's output). Returns the previous one.
 */
export function setReporter(fn: Reporter): Reporter {
  if (typeof fn !== 'function') throw new InvalidArgumentError('setReporter: expected a function (where, error, repeats?) => void');
  const previous = reporter;
  reporter = fn;
  return previous;
}

function deliver(where: string, error: unknown, repeats?: number): void {
  try {
    reporter(where, error, repeats);
  } catch {
    defaultReporter(where, error, repeats);
  }
}

function keyOf(where: string, error: unknown, scope: object | undefined): string {
  let id = 0;
  if (scope !== undefined) {
    id = scopeIds.get(scope) ?? nextScopeId++;
    scopeIds.set(scope, id);
  }
  return `${id}\u0000${where}\u0000${messageOf(error)}`;
}

/** True for 10, 100, 1000, ...: the repeat counts that are reported as they happen. */
function isMilestone(count: number): boolean {
  if (count < 10) return false;
  let n = count;
  while (n % 10 === 0) n /= 10;
  return n === 1;
}

/**
 * Reports an error that cannot be thrown to a caller. The first occurrence of an error (same
 * `where`, message and `scope`) is reported in full; repeats are counted and reported with
 * their count at 10, 100, 1000, ... and when the scope ends ({@link endReportScope}).
 * @param scope what the error belongs to (a canvas): each scope reports its errors anew.
 * @returns whether this call reported the error in full.
 */
export function reportError(where: string, error: unknown, scope?: object): boolean {
  const key = keyOf(where, error, scope);
  const entry = seen.get(key);
  if (entry) {
    entry.count++;
    if (isMilestone(entry.count)) {
      entry.reported = entry.count;
      deliver(where, error, entry.count);
    }
    return false;
  }
  seen.set(key, { count: 1, reported: 1, where, error });
  if (seen.size > MAX_REMEMBERED) seen.delete(seen.keys().next().value as string);
  deliver(where, error);
  return true;
}

/**
 * Ends a scope given to {@link reportError} (a canvas closes): repeats not yet reported are
 * reported with their final count, and the scope's errors are forgotten.
 */
export function endReportScope(scope: object): void {
  const id = scopeIds.get(scope);
  if (id === undefined) return;
  const prefix = `${id}\u0000`;
  for (const [key, entry] of [...seen]) {
    if (!key.startsWith(prefix)) continue;
    seen.delete(key);
    if (entry.count > entry.reported) deliver(entry.where, entry.error, entry.count);
  }
  scopeIds.delete(scope);
}

/**
 * Forgets which errors were reported, so each is reported again once. For tests: reports are
 * once per process, so a test that counts the reports of a kind another test already caused
 * starts from here (test/comm-channel.test.ts).
 */
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
export function reportRejection(where: string, value: unknown, scope?: object): void {
  if (isThenable(value)) value.then(undefined, (e: unknown) => { reportError(where, e, scope); });
}

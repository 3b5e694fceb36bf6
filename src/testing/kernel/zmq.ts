// The zeromq binding, loaded from tslab's own dependencies. test-notebooks runs tslab's kernel, so
// tslab must be installed anyway, and it brings zeromq 6; using that copy adds no native
// dependency to dawn-rfb and keeps client and kernel on one zeromq build.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { NotebookTestError } from '../errors.js';

/** The parts of zeromq 6's API the client uses. */
export interface ZmqSocket {
  connect(address: string): void;
  send(frames: Buffer[]): Promise<void>;
  close(): void;
  linger: number;
  [Symbol.asyncIterator](): AsyncIterator<Buffer[]>;
}
/** zeromq 6's Subscriber. */
export interface ZmqSubscriber extends ZmqSocket {
  subscribe(...topics: string[]): void;
}
/** What the client needs from the zeromq module. */
export interface Zmq {
  Dealer: new () => ZmqSocket;
  Subscriber: new () => ZmqSubscriber;
}

/** Where tslab is: the notebook's project first (what the kernel launcher uses), then next to dawn-rfb. */
export function findTslab(from: string): string | undefined {
  for (const base of [from, import.meta.dirname]) {
    try {
      return dirname(createRequire(`${base}/`).resolve('tslab/package.json'));
    } catch { /* try the next */ }
  }
  return undefined;
}

/** Loads zeromq as tslab (found from `from`) resolves it. */
export function loadZmq(from: string): Zmq {
  const tslab = findTslab(from);
  if (!tslab) throw new NotebookTestError(`tslab is not installed (looked from ${from} and from dawn-rfb); run \`npm install tslab\` in your project: test-notebooks runs its kernel`);
  try {
    return createRequire(`${tslab}/package.json`)('zeromq') as Zmq;
  } catch (e) {
    throw new NotebookTestError(`cannot load zeromq from tslab at ${tslab} (${(e as Error).message}); reinstall tslab (\`npm install tslab\`)`, { cause: e });
  }
}

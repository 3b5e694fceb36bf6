// Dirty-chunk bookkeeping of a Buffer: which byte chunks changed since the last upload, merged
// into as few writes as possible (adjacent chunks become one write).

/** One queue.writeBuffer a sync made: byte offset and size. */
export interface BufferWrite {
  offset: number;
  size: number;
}

/**
 * The automatic chunk size in bytes for a buffer of `nbytes`: about 32 chunks, a multiple of 16,
 * at least 256 B and at most 1 MiB (as pygfx).
 */
export function autoChunkBytes(nbytes: number): number {
  const target = Math.ceil(nbytes / 32 / 16) * 16;
  return Math.min(1 << 20, Math.max(256, target));
}

/** Set of dirty chunks of a buffer of `nbytes` split in chunks of `chunkBytes`. */
export class DirtyChunks {
  readonly chunkBytes: number;
  readonly nbytes: number;
  readonly #dirty: Uint8Array;
  #count = 0;

  constructor(nbytes: number, chunkBytes: number) {
    this.nbytes = nbytes;
    this.chunkBytes = chunkBytes;
    this.#dirty = new Uint8Array(Math.max(1, Math.ceil(nbytes / chunkBytes)));
  }

  /** Number of chunks. */
  get chunkCount(): number {
    return this.#dirty.length;
  }

  /** Number of dirty chunks. */
  get dirtyCount(): number {
    return this.#count;
  }

  /** Marks the chunks covering bytes [start, end) dirty. */
  markBytes(start: number, end: number): void {
    if (end <= start) return;
    const first = Math.floor(start / this.chunkBytes);
    const last = Math.min(this.#dirty.length, Math.ceil(end / this.chunkBytes));
    for (let i = first; i < last; i++) this.#mark(i);
  }

  /** Marks every chunk dirty. */
  markAll(): void {
    for (let i = 0; i < this.#dirty.length; i++) this.#mark(i);
  }

  /** The merged byte ranges to upload, and clears the set. */
  take(): BufferWrite[] {
    const writes: BufferWrite[] = [];
    if (this.#count === 0) return writes;
    let start = -1;
    for (let i = 0; i <= this.#dirty.length; i++) {
      const dirty = i < this.#dirty.length && this.#dirty[i] === 1;
      if (dirty && start < 0) start = i;
      if (!dirty && start >= 0) {
        const offset = start * this.chunkBytes;
        writes.push({ offset, size: Math.min(this.nbytes, i * this.chunkBytes) - offset });
        start = -1;
      }
    }
    this.#dirty.fill(0);
    this.#count = 0;
    return writes;
  }

  #mark(i: number): void {
    if (this.#dirty[i] === 0) {
      this.#dirty[i] = 1;
      this.#count++;
    }
  }
}

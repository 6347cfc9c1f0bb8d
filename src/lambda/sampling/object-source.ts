/**
 * The sample request's S3 object as a ByteSource (what the container indexes read), for
 * span jobs: fixed blocks fetched by this invocation's ObjectReader (If-Match, counted)
 * and kept for the invocation, so the span's index reads and its walks' reads share
 * bytes: a Matroska block walk or an MPEG-TS scan crosses the frames a walk then decodes,
 * and those come from memory. What it may fetch is bounded (`maxBytes`): an index that
 * would read far more than a span (a Matroska file without Cues, an MPEG-TS whose clock
 * jumps: a pass over the whole object) stops with ReadBudgetError and the span's frames go
 * to the per-frame seek, instead of holding a multi-GB object in memory. A read after the
 * decode deadline fails with DeadlineReached, so an index read cannot outlive it.
 *
 * Blocks are small, so scattered probes (an MPEG-TS bisection's, its clock check's) and a
 * Matroska walk that reads block headers and skips the frames cost little more than the
 * bytes they ask for; the missing blocks one read wants are fetched in one GET. A small
 * read (a header) that continues the block before it fetches a few blocks ahead, so a
 * walk is not one GET per frame. Measured on the 10-minute 1080p bench file, one span of
 * 4 times: 64 KB blocks read 3.20 MB (MKV) and 9.35 MB (TS) in 16 and 61 GETs; 32 KB
 * blocks 3.04 and 7.55 MB in 26 and 77; 16 KB blocks 2.76 and 7.03 MB in 29 and 77
 * (the MP4's GOP jobs for the same times: 1.94 MB in 3 GETs).
 */
import type { ByteSource } from '../../media/source/byte-source.js';
import type { ObjectReader } from './object-reader.js';

const BLOCK_BYTES = 32 * 1024;

/** The source fetched its `maxBytes` (an index read that would be a pass over the object). */
export class ReadBudgetError extends Error {}
/** A read asked for after the invocation's decode deadline. */
export class DeadlineReached extends Error {}

export interface ObjectSourceLimits {
  /** The most bytes this source fetches (and holds) in all. */
  readonly maxBytes: number;
  /** Aborted at the decode deadline: reads then fail with DeadlineReached. */
  readonly signal?: AbortSignal | undefined;
}
/** Blocks fetched past a small sequential read: fewer GETs, at most this much read past a walk's end. */
const READ_AHEAD_BLOCKS = 4;

export class ObjectSource implements ByteSource {
  private readonly blocks = new Map<number, Promise<Buffer>>();
  private fetched = 0;

  constructor(private readonly reader: Pick<ObjectReader, 'readRange'>, readonly size: number, private readonly limits: ObjectSourceLimits = { maxBytes: Number.POSITIVE_INFINITY }) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return Buffer.alloc(0);
    if (this.limits.signal?.aborted === true) throw new DeadlineReached('the invocation\'s decode deadline was reached');
    const first = Math.floor(offset / BLOCK_BYTES);
    const last = Math.floor((end - 1) / BLOCK_BYTES);
    this.fetchMissing(first, last, length < BLOCK_BYTES);
    const parts = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.blocks.get(first + i)!));
    const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const start = offset - first * BLOCK_BYTES;
    return joined.subarray(start, start + (end - offset));
  }

  /**
   * Fetches bytes from..to now, in one GET per run of blocks not held (a Matroska walk's
   * or an MPEG-TS scan's bytes, estimated by the index reader), for the reads that follow.
   * Not past the budget or the deadline: the reads that want those bytes meet them.
   */
  readAhead(from: number, to: number): void {
    const end = Math.min(to, this.size);
    if (end <= from || this.limits.signal?.aborted === true) return;
    const first = Math.floor(from / BLOCK_BYTES);
    const last = Math.floor((end - 1) / BLOCK_BYTES);
    // What it would fetch: whole blocks, those not held.
    let missing = 0;
    for (let block = first; block <= last; block += 1) if (!this.blocks.has(block)) missing += Math.min(this.size, (block + 1) * BLOCK_BYTES) - block * BLOCK_BYTES;
    if (missing > this.limits.maxBytes - this.fetched) return;
    this.fetchMissing(first, last, false);
  }

  close(): Promise<void> {
    this.blocks.clear();
    return Promise.resolve();
  }

  /** Starts one GET per run of blocks first..last not held yet (after a small read continuing held blocks, reading ahead). */
  private fetchMissing(first: number, last: number, small: boolean): void {
    const lastBlock = Math.floor((this.size - 1) / BLOCK_BYTES);
    for (let block = first; block <= last;) {
      if (this.blocks.has(block)) {
        block += 1;
        continue;
      }
      let runEnd = block;
      while (runEnd < last && !this.blocks.has(runEnd + 1)) runEnd += 1;
      if (small && runEnd === last && this.blocks.has(block - 1)) {
        const ahead = Math.min(lastBlock, last + READ_AHEAD_BLOCKS);
        while (runEnd < ahead && !this.blocks.has(runEnd + 1)) runEnd += 1;
      }
      this.fetchRun(block, runEnd);
      block = runEnd + 1;
    }
  }

  private fetchRun(first: number, last: number): void {
    const from = first * BLOCK_BYTES;
    const to = Math.min(this.size, (last + 1) * BLOCK_BYTES);
    this.fetched += to - from;
    const fetched = this.fetched > this.limits.maxBytes
      ? Promise.reject(new ReadBudgetError(`reading this span's index would fetch more than ${Math.round(this.limits.maxBytes / 1e6)} MB of the object`))
      : this.reader.readRange({ from, to });
    for (let block = first; block <= last; block += 1) {
      const at = (block - first) * BLOCK_BYTES;
      const part = fetched.then((bytes) => bytes.subarray(at, at + BLOCK_BYTES));
      // A failed GET is not kept: a later read asks again (and fails with the same cause if it lasts).
      part.catch(() => {
        if (this.blocks.get(block) === part) this.blocks.delete(block);
      });
      this.blocks.set(block, part);
    }
  }
}

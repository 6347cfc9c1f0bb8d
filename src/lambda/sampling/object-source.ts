/**
 * The sample request's S3 object as a ByteSource (what the container indexes read), for
 * span jobs: fixed blocks fetched by this invocation's ObjectReader (If-Match, counted)
 * and kept for the invocation, so the span's index reads and its walks' reads share
 * bytes: a Matroska block walk or an MPEG-TS scan crosses the frames a walk then decodes,
 * and those come from memory. What is held is bounded by the span, as the GOP path's
 * reads are by its jobs.
 *
 * Blocks are small (scattered probes, such as an MPEG-TS bisection's, cost little), and
 * missing blocks one read wants are fetched in one GET. A read that continues the block
 * before it (a sequential walk) fetches a few blocks ahead, so a Matroska walk's small
 * header reads are not one GET each.
 */
import type { ByteSource } from '../../media/source/byte-source.js';
import type { ObjectReader } from './object-reader.js';

const BLOCK_BYTES = 64 * 1024;
/** Blocks fetched past a sequential read: fewer GETs, at most this much read past the walk's end. */
const READ_AHEAD_BLOCKS = 3;

export class ObjectSource implements ByteSource {
  private readonly blocks = new Map<number, Promise<Buffer>>();

  constructor(private readonly reader: ObjectReader, readonly size: number) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return Buffer.alloc(0);
    const first = Math.floor(offset / BLOCK_BYTES);
    const last = Math.floor((end - 1) / BLOCK_BYTES);
    this.fetchMissing(first, last);
    const parts = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.blocks.get(first + i)!));
    const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const start = offset - first * BLOCK_BYTES;
    return joined.subarray(start, start + (end - offset));
  }

  close(): Promise<void> {
    this.blocks.clear();
    return Promise.resolve();
  }

  /** Starts one GET per run of blocks first..last not held yet (a run continuing held blocks reads ahead). */
  private fetchMissing(first: number, last: number): void {
    const lastBlock = Math.floor((this.size - 1) / BLOCK_BYTES);
    for (let block = first; block <= last;) {
      if (this.blocks.has(block)) {
        block += 1;
        continue;
      }
      let runEnd = block;
      while (runEnd < last && !this.blocks.has(runEnd + 1)) runEnd += 1;
      if (runEnd === last && this.blocks.has(block - 1)) {
        const ahead = Math.min(lastBlock, last + READ_AHEAD_BLOCKS);
        while (runEnd < ahead && !this.blocks.has(runEnd + 1)) runEnd += 1;
      }
      this.fetchRun(block, runEnd);
      block = runEnd + 1;
    }
  }

  private fetchRun(first: number, last: number): void {
    const from = first * BLOCK_BYTES;
    const fetched = this.reader.readRange({ from, to: Math.min(this.size, (last + 1) * BLOCK_BYTES) });
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

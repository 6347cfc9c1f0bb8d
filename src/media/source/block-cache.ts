/**
 * Fixed-size blocks of one remote object, fetched by bounded range requests and
 * kept in a small LRU shared by every ffmpeg process reading the object: the
 * moov atom and stream headers that each per-frame process re-reads come from
 * memory after the first, and nothing is fetched that no reader asked for.
 */
export type RangeFetcher = (start: number, endInclusive: number) => Promise<Uint8Array>;

export interface BlockCacheOptions {
  readonly size: number;
  readonly blockBytes: number;
  /** Blocks kept in memory at most. */
  readonly maxBlocks: number;
}

export class BlockCache {
  readonly size: number;
  readonly blockBytes: number;
  private readonly maxBlocks: number;
  private readonly fetchRange: RangeFetcher;
  /** Insertion order is recency order: a hit is moved to the end. */
  private readonly blocks = new Map<number, Promise<Uint8Array>>();
  private fetched = 0;

  constructor(fetchRange: RangeFetcher, options: BlockCacheOptions) {
    this.fetchRange = fetchRange;
    this.size = options.size;
    this.blockBytes = options.blockBytes;
    this.maxBlocks = options.maxBlocks;
  }

  /** Bytes fetched from the remote object so far. */
  get fetchedBytes(): number {
    return this.fetched;
  }

  /** The bytes [start, endInclusive] of block `index`'s span, fetching the block if needed. */
  async slice(start: number, endInclusive: number): Promise<Uint8Array> {
    const index = Math.floor(start / this.blockBytes);
    const block = await this.block(index);
    const offset = index * this.blockBytes;
    return block.subarray(start - offset, Math.min(endInclusive, offset + block.length - 1) - offset + 1);
  }

  /** Starts fetching a block a reader will want next, so it arrives while the current one is written. */
  prefetch(index: number): void {
    if (index * this.blockBytes < this.size) this.block(index).catch(() => undefined);
  }

  clear(): void {
    this.blocks.clear();
  }

  private block(index: number): Promise<Uint8Array> {
    const cached = this.blocks.get(index);
    if (cached !== undefined) {
      this.blocks.delete(index);
      this.blocks.set(index, cached);
      return cached;
    }
    const start = index * this.blockBytes;
    const end = Math.min(this.size, start + this.blockBytes) - 1;
    const pending = this.fetchRange(start, end).then((bytes) => {
      this.fetched += bytes.length;
      if (bytes.length !== end - start + 1) throw new Error(`range ${start}-${end} returned ${bytes.length} bytes`);
      return bytes;
    });
    // A failed fetch must not stay cached: the next reader tries again.
    pending.catch(() => {
      if (this.blocks.get(index) === pending) this.blocks.delete(index);
    });
    this.blocks.set(index, pending);
    while (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number;
      this.blocks.delete(oldest);
    }
    return pending;
  }
}

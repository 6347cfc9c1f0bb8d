import { BlockCache, type RangeFetcher } from '../../media/source/block-cache.js';
import { startRangeRelay } from '../../media/source/range-relay.js';

/** Range reads are this size: small enough that a seek wastes little, large enough that a GET's latency is amortised. */
const BLOCK_BYTES = 256 * 1024;
/** 16 MB of blocks per open video: the moov atom and the stream headers every frame re-reads stay hot. */
const MAX_BLOCKS = 64;
/**
 * A bounded read this small of a block not held is fetched as asked, not as its block:
 * the probe's MPEG-TS checks read about 36 KB at each of 33 places spread over the file
 * (src/media/mpeg-ts/ts-around.ts), which as blocks cost 8.4 MB whatever the file's length.
 */
const EXACT_READ_BYTES = 64 * 1024;
/** Such pieces kept (at most 4 MB). */
const MAX_PIECES = 64;

/**
 * Serves a remote object that answers byte ranges (a presigned S3 URL, an
 * https:// file) to ffmpeg through a loopback relay with a shared block cache
 * (see range-relay.ts). Returns the relay URL for ffprobe/ffmpeg to open.
 */
export async function relayRangedUrl(url: string, sizeBytes: number, name: string): Promise<{ url: string; fetchedBytes: () => number }> {
  const cache = new ExactSmallReads((start, end) => fetchRange(url, start, end), { size: sizeBytes, blockBytes: BLOCK_BYTES, maxBlocks: MAX_BLOCKS });
  return { url: (await startRangeRelay(cache, name)).url, fetchedBytes: () => cache.fetchedBytes };
}

/**
 * The relay's cache, which answers a small read of a block it has not fetched with just
 * those bytes: a read the reader bounded (our own byte sources: the probe's TS checks, the
 * client's index reads), or the last few kB of a block (where such a read crosses into the
 * next). ffmpeg's open-ended reads (`bytes=N-`) from further back still come in whole blocks;
 * the pieces fetched are kept too, so readers that come back to them (per-frame ffmpeg
 * processes re-reading a header) fetch them once.
 */
class ExactSmallReads extends BlockCache {
  /** Blocks fetched whole (some may since have been evicted: then a whole block is fetched again, as before). */
  private readonly whole = new Set<number>();
  /** Pieces fetched as asked, most recently used last. */
  private readonly pieces = new Map<string, { start: number; bytes: Promise<Uint8Array> }>();
  private exactBytes = 0;
  private readonly fetchExact: RangeFetcher;

  constructor(fetchRange: RangeFetcher, options: ConstructorParameters<typeof BlockCache>[1]) {
    super(async (start, end) => {
      this.whole.add(Math.floor(start / options.blockBytes));
      return fetchRange(start, end);
    }, options);
    this.fetchExact = fetchRange;
  }

  override get fetchedBytes(): number {
    return super.fetchedBytes + this.exactBytes;
  }

  override async slice(start: number, endInclusive: number): Promise<Uint8Array> {
    const index = Math.floor(start / this.blockBytes);
    if (endInclusive - start + 1 > EXACT_READ_BYTES || this.whole.has(index)) return super.slice(start, endInclusive);
    for (const [key, piece] of this.pieces) {
      const bytes = await piece.bytes.catch(() => undefined);
      if (bytes === undefined || piece.start > start || piece.start + bytes.length - 1 < endInclusive) continue;
      this.pieces.delete(key);
      this.pieces.set(key, piece);
      return bytes.subarray(start - piece.start, endInclusive - piece.start + 1);
    }
    const bytes = this.fetchExact(start, endInclusive).then((fetched) => {
      if (fetched.length !== endInclusive - start + 1) throw new Error(`range ${start}-${endInclusive} returned ${fetched.length} bytes`);
      this.exactBytes += fetched.length;
      return fetched;
    });
    const key = `${start}-${endInclusive}`;
    this.pieces.set(key, { start, bytes });
    bytes.catch(() => this.pieces.delete(key));
    while (this.pieces.size > MAX_PIECES) this.pieces.delete(this.pieces.keys().next().value as string);
    return bytes;
  }

  override clear(): void {
    super.clear();
    this.whole.clear();
    this.pieces.clear();
  }
}

/** One bounded GET. A server that ignores Range must not stream us the whole object. */
async function fetchRange(url: string, start: number, end: number): Promise<Uint8Array> {
  const response = await fetch(url, { headers: { Range: `bytes=${start}-${end}` }, signal: AbortSignal.timeout(60_000) });
  if (response.status !== 206 && !(response.status === 200 && Number(response.headers.get('content-length')) === end - start + 1)) {
    await response.body?.cancel();
    throw new Error(`the server answered HTTP ${response.status} to a range request`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

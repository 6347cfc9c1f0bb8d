import { BlockCache } from '../../media/source/block-cache.js';
import { startRangeRelay } from '../../media/source/range-relay.js';

/** Range reads are this size: small enough that a seek wastes little, large enough that a GET's latency is amortised. */
const BLOCK_BYTES = 256 * 1024;
/** 16 MB of blocks per open video: the moov atom and the stream headers every frame re-reads stay hot. */
const MAX_BLOCKS = 64;

/**
 * Serves a remote object that answers byte ranges (a presigned S3 URL, an
 * https:// file) to ffmpeg through a loopback relay with a shared block cache
 * (see range-relay.ts). Returns the relay URL for ffprobe/ffmpeg to open.
 */
export async function relayRangedUrl(url: string, sizeBytes: number, name: string): Promise<{ url: string; fetchedBytes: () => number }> {
  const cache = new BlockCache((start, end) => fetchRange(url, start, end), { size: sizeBytes, blockBytes: BLOCK_BYTES, maxBlocks: MAX_BLOCKS });
  return { url: (await startRangeRelay(cache, name)).url, fetchedBytes: () => cache.fetchedBytes };
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

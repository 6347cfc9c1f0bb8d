import { mkdir, readFile } from 'node:fs/promises';
import { mapBounded } from '../core/bounded-map.js';
import { sniffImage } from '../core/image-decode.js';
import type { PlannedFrame } from '../core/sampling-plan.js';
import type { SampledFrame } from '../core/results.js';
import { extractFrame, FrameExtractError, redact, type ExtractedFrame, type ExtractOptions } from './ffmpeg/extract.js';
import type { IndexedVideo } from './indexed-sampler.js';
import { saveFrame } from './saved-frames.js';

/**
 * How frames are decoded. `auto`: an MP4/MOV with H.264 or HEVC is indexed and its frames
 * decoded by one long-lived ffmpeg per core (see indexed-sampler.ts); anything else,
 * and any frame that path cannot produce, gets one ffmpeg seek per frame. `seek`:
 * always one ffmpeg per frame.
 */
export type SamplingMethod = 'auto' | 'seek';

export interface SamplerOptions extends ExtractOptions {
  /** Decoders (or ffmpeg processes) at once (default: one per core). */
  readonly concurrency: number;
  /** Keep each sampled frame here as well (PNG, or the JPEG with --frame-format jpeg). */
  readonly saveFramesDir?: string | undefined;
  readonly method?: SamplingMethod | undefined;
  /** Degrees clockwise the player turns the picture (ffprobe's rotation). */
  readonly rotation?: number | undefined;
  /** The input's size in bytes, when it is a URL (a local file's is read from disk). */
  readonly sizeBytes?: number | undefined;
  /** Says which method decodes the frames, and why when it is not the fast one. */
  readonly onNote?: ((message: string) => void) | undefined;
}

/**
 * Decodes the planned frames, yielding each as soon as it is ready (not in plan
 * order). A frame that cannot be decoded is yielded as failed; it never stops the others.
 */
export async function* sampleFrames(plan: readonly PlannedFrame[], options: SamplerOptions): AsyncGenerator<SampledFrame> {
  if (options.saveFramesDir) await mkdir(options.saveFramesDir, { recursive: true });
  const seekOne = (planned: PlannedFrame): Promise<SampledFrame> =>
    settleFrame(planned, () => (options.stillImage ? readStill(options) : extractFrame(planned.requestedTime, options)));
  let indexed: IndexedVideo | undefined;
  if ((options.method ?? 'auto') === 'auto' && !options.stillImage && plan.length > 0) {
    const { openIndexedVideo } = await import('./indexed-sampler.js');
    const opened = await openIndexedVideo(options);
    if (typeof opened === 'string') options.onNote?.(`one ffmpeg seek per frame (${opened})`);
    else indexed = opened;
  }
  try {
    const frames = indexed ? indexed.sample(plan, seekOne) : mapBounded(plan, options.concurrency, seekOne, options.signal);
    for await (const frame of frames) {
      if (options.saveFramesDir && frame.status === 'sampled') {
        await saveFrame(options.saveFramesDir, frame.index, frame.actualTime ?? frame.requestedTime, frame.image);
      }
      yield frame;
    }
  } finally {
    await indexed?.close();
  }
}

/** Still images larger than this are left to ffmpeg rather than read into memory whole. */
const MAX_STILL_BYTES = 64 * 1024 * 1024;

/**
 * A JPEG or PNG still is scored as the file it is: its own bytes, decoded at its own
 * size by the classifier (the same decoder the function uses). Other still formats
 * (WebP, BMP, TIFF, GIF) are decoded by ffmpeg to a PNG of the same size.
 */
async function readStill(options: ExtractOptions): Promise<ExtractedFrame> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readWhole(options.input, options.signal);
  } catch (error) {
    throw new FrameExtractError('DECODE_FAILED', `cannot read the image: ${redact((error as Error).message, options.input)}`, { cause: error });
  }
  if (bytes !== undefined && sniffImage(bytes) !== undefined) return { image: bytes, actualTime: 0 };
  return extractFrame(0, options);
}

async function readWhole(input: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  if (!/^https?:\/\//i.test(input)) return new Uint8Array(await readFile(input, { signal }));
  const response = await fetch(input, { signal });
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (!response.ok || !(length <= MAX_STILL_BYTES)) {
    await response.body?.cancel();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return undefined;
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** A frame's extraction as data: decoded, or failed with the extractor's code. */
export async function settleFrame(planned: PlannedFrame, extract: () => Promise<ExtractedFrame>): Promise<SampledFrame> {
  try {
    const frame = await extract();
    return { index: planned.index, requestedTime: planned.requestedTime, actualTime: frame.actualTime, status: 'sampled', image: frame.image };
  } catch (error) {
    if (error instanceof FrameExtractError) {
      return { index: planned.index, requestedTime: planned.requestedTime, actualTime: null, status: 'failed', code: error.code, message: error.message };
    }
    throw error;
  }
}

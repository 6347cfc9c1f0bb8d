import { mkdir, readFile } from 'node:fs/promises';
import { mapBounded } from '../../core/bounded-map.js';
import { sniffImage } from '../../core/image-decode.js';
import type { PlannedFrame } from '../../core/sampling-plan.js';
import type { SampledFrame } from '../../core/results.js';
import { extractFrame, FrameExtractError, redact, type ExtractedFrame, type ExtractOptions } from '../decode/extract.js';
import { settleFrame, type SamplerOptions } from './sampler-options.js';

export type { SamplerOptions, SamplingMethod } from './sampler-options.js';
import type { IndexedVideo } from './indexed-sampler.js';
import { saveFrame } from './saved-frames.js';

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


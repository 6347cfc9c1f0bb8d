import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mapBounded } from '../core/bounded-map.js';
import type { PlannedFrame } from '../core/sampling-plan.js';
import type { SampledFrame } from '../core/results.js';
import { formatTimecode } from '../core/timestamps.js';
import { extractFrame, FrameExtractError, type ExtractedFrame, type ExtractOptions } from './ffmpeg/extract.js';
import type { IndexedVideo } from './indexed-sampler.js';

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
  /** Keep each decoded JPEG here as well. */
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
  const seekOne = (planned: PlannedFrame): Promise<SampledFrame> => settleFrame(planned, () => extractFrame(planned.requestedTime, options));
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
        await writeFile(path.join(options.saveFramesDir, savedFrameName(frame.index, frame.actualTime ?? frame.requestedTime)), frame.jpeg);
      }
      yield frame;
    }
  } finally {
    await indexed?.close();
  }
}

/** A frame's extraction as data: decoded, or failed with the extractor's code. */
export async function settleFrame(planned: PlannedFrame, extract: () => Promise<ExtractedFrame>): Promise<SampledFrame> {
  try {
    const frame = await extract();
    return { index: planned.index, requestedTime: planned.requestedTime, actualTime: frame.actualTime, status: 'sampled', jpeg: frame.jpeg };
  } catch (error) {
    if (error instanceof FrameExtractError) {
      return { index: planned.index, requestedTime: planned.requestedTime, actualTime: null, status: 'failed', code: error.code, message: error.message };
    }
    throw error;
  }
}

export function savedFrameName(index: number, time: number): string {
  return `frame-${String(index).padStart(5, '0')}-${formatTimecode(time).replace(/:/g, '-')}.jpg`;
}

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mapBounded } from '../core/bounded-map.js';
import type { PlannedFrame } from '../core/sampling-plan.js';
import type { SampledFrame } from '../core/results.js';
import { formatTimecode } from '../core/timestamps.js';
import { extractFrame, FrameExtractError, type ExtractOptions } from './ffmpeg/extract.js';

export interface SamplerOptions extends ExtractOptions {
  /** ffmpeg processes at once (default: one per core). */
  readonly concurrency: number;
  /** Keep each decoded JPEG here as well. */
  readonly saveFramesDir?: string | undefined;
}

/**
 * Decodes the planned frames, one ffmpeg process per frame with `concurrency` at
 * once, yielding each as soon as it is ready. A frame that cannot be decoded is
 * yielded as failed; it never stops the others.
 */
export async function* sampleFrames(plan: readonly PlannedFrame[], options: SamplerOptions): AsyncGenerator<SampledFrame> {
  if (options.saveFramesDir) await mkdir(options.saveFramesDir, { recursive: true });
  yield* mapBounded(plan, options.concurrency, async (planned): Promise<SampledFrame> => {
    try {
      const frame = await extractFrame(planned.requestedTime, options);
      if (options.saveFramesDir) {
        await writeFile(path.join(options.saveFramesDir, savedFrameName(planned.index, frame.actualTime)), frame.jpeg);
      }
      return { index: planned.index, requestedTime: planned.requestedTime, actualTime: frame.actualTime, status: 'sampled', jpeg: frame.jpeg };
    } catch (error) {
      if (error instanceof FrameExtractError) {
        return { index: planned.index, requestedTime: planned.requestedTime, actualTime: null, status: 'failed', code: error.code, message: error.message };
      }
      throw error;
    }
  }, options.signal);
}

export function savedFrameName(index: number, time: number): string {
  return `frame-${String(index).padStart(5, '0')}-${formatTimecode(time).replace(/:/g, '-')}.jpg`;
}

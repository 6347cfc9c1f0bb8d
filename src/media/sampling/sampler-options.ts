import type { PlannedFrame } from '../../core/sampling-plan.js';
import type { SampledFrame } from '../../core/results.js';
import { FrameExtractError, type ExtractedFrame, type ExtractOptions } from '../decode/extract.js';

/**
 * How frames are decoded. `auto`: the cheapest of the three by the estimate in
 * strategy.ts (given the probe's facts; without them, indexed where it can be).
 * `indexed`: an MP4/MOV with H.264 or HEVC is indexed and its frames decoded by one
 * long-lived ffmpeg per core (indexed-sampler.ts); any frame that path cannot produce
 * gets one seek. `seek`: one ffmpeg per frame. `sequential`: one ffmpeg per stretch of
 * the targets, decoding straight through (sequential-sampler.ts).
 */
export type SamplingMethod = 'auto' | 'indexed' | 'seek' | 'sequential';
export const SAMPLING_METHODS: readonly SamplingMethod[] = ['auto', 'indexed', 'seek', 'sequential'];

/** What the probe says of the input: what the planner weighs the strategies by. */
export interface SamplingMedia {
  readonly container: string;
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  readonly frameRate: number;
  readonly duration: number;
  /** An MPEG-TS whose clock jumps: the plan's times are on ffmpeg's continuous timeline, not the file's clock. */
  readonly clockJumps?: boolean | undefined;
}

export interface SamplerOptions extends ExtractOptions {
  /** Decoders (or ffmpeg processes) at once (default: one per core). */
  readonly concurrency: number;
  /** Keep each sampled frame here as well (PNG, or the JPEG with --frame-format jpeg). */
  readonly saveFramesDir?: string | undefined;
  readonly method?: SamplingMethod | undefined;
  /** The probe's facts; `auto` weighs the strategies only when it has them. */
  readonly media?: SamplingMedia | undefined;
  /** Degrees clockwise the player turns the picture (ffprobe's rotation). */
  readonly rotation?: number | undefined;
  /** The input's size in bytes, when it is a URL (a local file's is read from disk). */
  readonly sizeBytes?: number | undefined;
  /** Says which method decodes the frames, and why when it is not the fast one. */
  readonly onNote?: ((message: string) => void) | undefined;
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

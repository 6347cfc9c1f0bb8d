import type { ModelIdentity } from '../core/model-manifest.js';
import type { FrameImage } from '../core/image-decode.js';
import type { FitMode } from '../core/preprocess.js';
import type { FrameResult, SampledFrame } from '../core/results.js';
import type { PlannedFrame } from '../core/sampling-plan.js';
import type { MediaInfo } from '../media/probe.js';
import type { OpenedInput } from './opened-input.js';

/**
 * Turns sampled frames into results. Local mode (worker threads) and Lambda
 * fan-out both implement it, so the classify command does not care which runs.
 * Results come back in completion order; failed samples pass through as failed.
 */
export interface FrameScorer {
  readonly model: ModelIdentity;
  /** e.g. "local, wasm, 2 workers": shown in progress and recorded in the report. */
  readonly description: string;
  score(frames: AsyncIterable<SampledFrame>): AsyncIterable<FrameResult>;
  close(): Promise<void>;
}

/** A video a session may sample where it lies instead of here. */
export interface RemoteVideo {
  readonly opened: OpenedInput;
  readonly media: MediaInfo;
  readonly plan: readonly PlannedFrame[];
  readonly keyframes: boolean;
  readonly fit: FitMode;
  /** Fill with each frame's thumbnail (for --html). */
  readonly thumbnails?: Map<number, FrameImage> | undefined;
  readonly onNote?: ((message: string) => void) | undefined;
}

/** One video's scoring on a shared scorer, with its own statistics. */
export interface ScoringSession {
  score(frames: AsyncIterable<SampledFrame>): AsyncIterable<FrameResult>;
  /** Samples and scores the video where it lies (the function fleet), or undefined to sample here. Throws InputError when told to and it cannot. */
  remote?(video: RemoteVideo): AsyncIterable<FrameResult> | undefined;
  facts(wallMs: number): Record<string, unknown>;
}

export interface SessionScorer extends FrameScorer {
  session(expectedFrames: number): ScoringSession;
}

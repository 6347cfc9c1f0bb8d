import type { ModelIdentity } from '../core/model-manifest.js';
import type { FrameResult, SampledFrame } from '../core/results.js';

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

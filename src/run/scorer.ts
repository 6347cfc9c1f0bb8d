/**
 * Scorers turn sampled frames into results: the local engine pool (worker
 * threads) or the classifier function (the fleet). Where frames are sampled is
 * not theirs to decide: the run engine chooses an executor (executor.ts).
 * Results come back in completion order; failed samples pass through as failed.
 */
import type { ModelIdentity } from '../core/model-manifest.js';
import type { FrameResult, SampledFrame } from '../core/results.js';

export interface FrameScorer {
  /** Which kind of scorer this is: the engine picks the executor from it and the run's sampleOn. */
  readonly kind: 'local' | 'fleet';
  readonly model: ModelIdentity;
  /** e.g. "local, wasm, 2 workers": shown in progress and recorded in the report. */
  readonly description: string;
  score(frames: AsyncIterable<SampledFrame>): AsyncIterable<FrameResult>;
  close(): Promise<void>;
}

/** One video's scoring on a shared scorer, with its own statistics (the fleet's invocations, cost, sampling). */
export interface ScoringSession {
  score(frames: AsyncIterable<SampledFrame>): AsyncIterable<FrameResult>;
  facts(wallMs: number): object;
}

import type { ModelIdentity } from './model-manifest.js';
import type { FrameResult } from './results.js';
import type { SamplingSettings } from './sampling-plan.js';
import type { ScoreSummary } from './summary.js';

export const REPORT_SCHEMA = 'framescore-report/1';

export interface VideoFacts {
  /** As the user named it: a path, s3:// or https:// URI (never a presigned URL). */
  readonly source: string;
  readonly container: string;
  readonly codec: string;
  /** Seconds (0 for a still image). */
  readonly duration: number;
  /** Average frames per second (0 when unknown). */
  readonly frameRate: number;
  /** Display size, after rotation. */
  readonly width: number;
  readonly height: number;
  /** Degrees clockwise the player rotates the picture; ffmpeg applies it when decoding. */
  readonly rotation: number;
  readonly stillImage: boolean;
  readonly sizeBytes?: number | undefined;
}

export interface RunFacts {
  readonly mode: 'local' | 'lambda';
  /** e.g. "local, wasm, 2 workers" or "lambda frame-classifier:live". */
  readonly scorer: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallMs: number;
  readonly framesPerSecond: number;
  readonly interrupted: boolean;
  /** Extra facts a scorer adds (invocation statistics, cost). */
  readonly [extra: string]: unknown;
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly generator: { readonly name: 'framescore'; readonly version: string };
  readonly video: VideoFacts;
  readonly model: ModelIdentity;
  readonly sampling: SamplingSettings & { readonly description: string; readonly fit: string; readonly frameFormat?: string };
  readonly frames: readonly FrameResult[];
  readonly summary: ScoreSummary;
  readonly run: RunFacts;
}

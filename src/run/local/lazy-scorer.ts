import { modelIdentity, type ModelIdentity, type ModelManifest } from '../../core/model-manifest.js';
import type { FrameResult, SampledFrame } from '../../core/results.js';
import type { FrameScorer } from '../scorer.js';
import { LocalScorer, type LocalScorerOptions } from './pool.js';

/**
 * Starts the worker pool only when the first frames arrive, so a bad input or
 * option is reported before a second of TF.js start-up is spent (and never pays it).
 */
export class LazyLocalScorer implements FrameScorer {
  readonly kind = 'local' as const;
  readonly model: ModelIdentity;
  private readonly options: LocalScorerOptions;
  private started: Promise<LocalScorer> | undefined;
  private pool: LocalScorer | undefined;

  /** `onStarted` hears once which engine the pool runs (for --verbose). */
  constructor(manifest: ModelManifest, options: LocalScorerOptions, private readonly onStarted?: (pool: LocalScorer) => void) {
    this.model = modelIdentity(manifest);
    this.options = options;
  }

  get description(): string {
    return this.pool?.description ?? `local, --backend ${this.options.backend} (not started)`;
  }

  async *score(frames: AsyncIterable<SampledFrame>): AsyncGenerator<FrameResult> {
    if (this.started === undefined) {
      this.started = LocalScorer.start(this.options);
      this.onStarted?.(await this.started);
    }
    this.pool = await this.started;
    yield* this.pool.score(frames);
  }

  async close(): Promise<void> {
    if (this.started !== undefined) await (await this.started.catch(() => undefined))?.close();
  }
}

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
  private options: LocalScorerOptions;
  private started: Promise<LocalScorer> | undefined;
  private pool: LocalScorer | undefined;

  /** `onStarted` hears once which engine the pool runs (for --verbose). */
  constructor(manifest: ModelManifest, options: LocalScorerOptions, private readonly onStarted?: (pool: LocalScorer) => void) {
    this.model = modelIdentity(manifest);
    this.options = options;
  }

  /** The run's planned frames, before the first score(): no more workers start than there are frames. */
  expectFrames(frames: number): void {
    if (this.started === undefined) this.options = { ...this.options, frames };
  }

  get description(): string {
    return this.pool?.description ?? `local, --backend ${this.options.backend} (not started)`;
  }

  async *score(frames: AsyncIterable<SampledFrame>): AsyncGenerator<FrameResult> {
    if (this.pool === undefined) {
      // Sampling starts while the workers load their engines and models (seconds on a
      // loaded machine): the first frames wait in a small buffer instead of the sampler
      // waiting for the pool.
      const early = readAhead(frames, READ_AHEAD_FRAMES);
      if (this.started === undefined) {
        this.started = LocalScorer.start(this.options);
        this.started.then((pool) => this.onStarted?.(pool), () => {});
      }
      try {
        this.pool = await this.started;
      } catch (error) {
        await early.stop();
        throw error;
      }
      yield* this.pool.score(early.frames);
      return;
    }
    yield* this.pool.score(frames);
  }

  async close(): Promise<void> {
    if (this.started !== undefined) await (await this.started.catch(() => undefined))?.close();
  }
}

/** Frames read ahead while the pool starts: about 0.15 MB each at 224², lossless. */
const READ_AHEAD_FRAMES = 16;

/**
 * Starts reading `source` now, holding at most `limit` items. `frames` (once, when the
 * pool is ready) stops the reading ahead, yields what is held, then reads on directly;
 * `stop` ends it all (the pool failed to start).
 */
function readAhead<T>(source: AsyncIterable<T>, limit: number): { frames: AsyncIterable<T>; stop: () => Promise<void> } {
  const iterator = source[Symbol.asyncIterator]();
  const held: T[] = [];
  let stopped = false;
  let done = false;
  let failure: { error: unknown } | undefined;
  const reading = (async () => {
    try {
      while (!stopped && held.length < limit) {
        const next = await iterator.next();
        if (next.done === true) {
          done = true;
          return;
        }
        held.push(next.value);
      }
    } catch (error) {
      failure = { error };
    }
  })();
  async function* frames(): AsyncGenerator<T> {
    stopped = true;
    await reading;
    try {
      while (held.length > 0) yield held.shift()!;
      if (failure !== undefined) throw failure.error;
      if (done) return;
      while (true) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      if (!done && failure === undefined) await iterator.return?.();
    }
  }
  return {
    frames: frames(),
    stop: async () => {
      stopped = true;
      await reading;
      if (!done && failure === undefined) await iterator.return?.();
    },
  };
}

/**
 * The function fleet as a scorer: probes the function once (fail fast on an
 * unknown function, learn its model and whether it samples), then scores each
 * video in its own session on the shared fan-out pool. Whether the fleet also
 * samples a video is the engine's choice (executor.ts), not this class's.
 */
import type { SamplingCapability } from '../../core/contract.js';
import type { ModelIdentity } from '../../core/model-manifest.js';
import type { FrameResult, SampledFrame } from '../../core/results.js';
import type { FrameScorer } from '../scorer.js';
import { describeTarget, type LambdaConnection } from './client.js';
import { FunctionUnavailableError, LambdaConfigError } from './errors.js';
import { FanoutPool, type FanoutOptions } from './fanout.js';
import { sampleAndScore, type FleetVideo } from './sample-and-score.js';
import { FleetSession } from './session.js';
import type { LambdaRunFacts } from './telemetry.js';
import { warmEnvironments, type WarmResult } from './warmup.js';

export interface LambdaScorerOptions extends Omit<FanoutOptions, 'client' | 'expectedModelSha256'> {
  readonly connection: LambdaConnection;
  /** Start this many environments before scoring (classify --warm); 0 probes with one. */
  readonly warmCount: number;
  readonly warmHoldMs: number;
  /** The invocations' timeout, decided once the probe found the function (timeoutMs is the probe's). */
  readonly invokeTimeout?: () => Promise<number>;
}

export class LambdaScorer implements FrameScorer {
  readonly kind = 'fleet' as const;
  readonly model: ModelIdentity;
  readonly description: string;
  readonly warm: WarmResult;
  private readonly pool: FanoutPool;
  private readonly connection: LambdaConnection;
  private readonly started = performance.now();

  private constructor(pool: FanoutPool, connection: LambdaConnection, model: ModelIdentity, warm: WarmResult) {
    this.pool = pool;
    this.connection = connection;
    this.model = model;
    this.warm = warm;
    const { target, concurrency } = pool.options;
    this.description = `lambda ${describeTarget(target)}, concurrency ${concurrency}`;
  }

  static async start(options: LambdaScorerOptions): Promise<LambdaScorer> {
    const { client } = options.connection;
    const warm = await warmEnvironments({
      client, target: options.target, count: Math.max(1, options.warmCount), holdMs: options.warmCount > 0 ? options.warmHoldMs : 0,
      timeoutMs: options.timeoutMs, maxAttempts: options.maxAttempts, signal: options.signal,
    });
    const name = describeTarget(options.target);
    if (warm.warmed === 0) {
      const failure = warm.failures[0] ?? { code: 'UNKNOWN', message: 'no response' };
      throw new FunctionUnavailableError(name, failure.code, failure.message);
    }
    if (warm.model === undefined) throw new LambdaConfigError(`Lambda function "${name}" did not say which model it runs; is it a framescore classifier?`);
    const timeoutMs = options.invokeTimeout === undefined ? options.timeoutMs : await options.invokeTimeout();
    const pool = new FanoutPool({ ...options, timeoutMs, client, expectedModelSha256: warm.model.sha256 });
    return new LambdaScorer(pool, options.connection, warm.model, warm);
  }

  /** What the function said of its sampling when probed (absent: it predates sampling in the function). */
  get sampling(): SamplingCapability | undefined {
    return this.warm.sampling;
  }

  get name(): string {
    return describeTarget(this.pool.options.target);
  }

  /** A video's own stream with its own statistics (batch size chosen from its frame count). */
  session(expectedFrames: number): FleetSession {
    return new FleetSession(this.pool, expectedFrames);
  }

  /** The combined executor: the fleet samples and scores the video (the engine has checked samplingRefusal). */
  sampleAndScore(video: FleetVideo, session: FleetSession): AsyncIterable<FrameResult> {
    return sampleAndScore(this.pool, video, session, this.warm.sampling);
  }

  score(frames: AsyncIterable<SampledFrame>): AsyncIterable<FrameResult> {
    return new FleetSession(this.pool, 0).score(frames);
  }

  /** Statistics of the whole run (all videos), with the adaptive limit it settled on. */
  facts(): LambdaRunFacts & { readonly concurrency: ReturnType<LambdaScorer['concurrency']> } {
    return { ...this.pool.telemetry.facts(performance.now() - this.started, this.pool.options.prices), concurrency: this.concurrency() };
  }

  concurrency(): { requested: number; limit: number; minLimit: number; decreases: number } {
    return { requested: this.pool.options.concurrency, ...this.pool.aimd.stats() };
  }

  async close(): Promise<void> {
    this.pool.close();
    this.connection.close();
  }
}

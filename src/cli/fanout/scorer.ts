/**
 * The Lambda FrameScorer: probes the function once (fail fast on an unknown
 * function, learn its model), then scores each video in a session on the
 * shared fan-out pool.
 */
import type { ModelIdentity } from '../../core/model-manifest.js';
import type { FrameResult, SampledFrame } from '../../core/results.js';
import type { FrameScorer } from '../scorer.js';
import { describeTarget, type LambdaConnection } from './client.js';
import { FunctionUnavailableError, LambdaConfigError } from './errors.js';
import { FanoutPool, type FanoutOptions } from './fanout.js';
import { FanoutSession } from './session.js';
import type { LambdaRunFacts } from './telemetry.js';
import { warmEnvironments, type WarmResult } from './warmup.js';

export interface LambdaScorerOptions extends Omit<FanoutOptions, 'client' | 'expectedModelSha256'> {
  readonly connection: LambdaConnection;
  /** Start this many environments before scoring (classify --warm); 0 probes with one. */
  readonly warmCount: number;
  readonly warmHoldMs: number;
}

export class LambdaScorer implements FrameScorer {
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
    const pool = new FanoutPool({ ...options, client, expectedModelSha256: warm.model.sha256 });
    return new LambdaScorer(pool, options.connection, warm.model, warm);
  }

  /** A video's own stream with its own statistics (batch size chosen from its frame count). */
  session(expectedFrames: number): { score(frames: AsyncIterable<SampledFrame>): AsyncIterable<FrameResult>; facts(wallMs: number): Record<string, unknown> } {
    const session = new FanoutSession(this.pool, expectedFrames);
    const { target } = this.pool.options;
    return {
      score: (frames) => session.score(frames),
      facts: (wallMs) => {
        const facts = session.facts(wallMs);
        return {
          function: target.functionName,
          ...(target.qualifier === undefined ? {} : { qualifier: target.qualifier }),
          ...facts,
          concurrency: { ...this.concurrency(), sustained: facts.sustainedConcurrency, peak: facts.peakConcurrency },
        };
      },
    };
  }

  score(frames: AsyncIterable<SampledFrame>): AsyncIterable<FrameResult> {
    return new FanoutSession(this.pool, 0).score(frames);
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

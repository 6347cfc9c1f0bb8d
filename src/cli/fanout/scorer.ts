/**
 * The Lambda FrameScorer: probes the function once (fail fast on an unknown
 * function, learn its model), then scores each video in a session on the
 * shared fan-out pool.
 */
import type { ModelIdentity } from '../../core/model-manifest.js';
import type { FrameResult, SampledFrame } from '../../core/results.js';
import type { FrameScorer } from '../../run/scorer.js';
import { describeTarget, type LambdaConnection } from './client.js';
import { FunctionUnavailableError, LambdaConfigError } from './errors.js';
import { FanoutPool, type FanoutOptions } from './fanout.js';
import { FanoutSession } from './session.js';
import type { LambdaRunFacts } from './telemetry.js';
import { warmEnvironments, type WarmResult } from './warmup.js';
import { InputError } from '../../core/errors.js';
import type { RemoteVideo, ScoringSession } from '../../run/scorer.js';
import { remoteSamplingRefusal, sampleOnLambda, SamplingFigures, type SampleOn } from './remote-sampling.js';

export interface LambdaScorerOptions extends Omit<FanoutOptions, 'client' | 'expectedModelSha256'> {
  readonly connection: LambdaConnection;
  /** Start this many environments before scoring (classify --warm); 0 probes with one. */
  readonly warmCount: number;
  readonly warmHoldMs: number;
  /** --sample-on: where s3:// videos are sampled (auto: in the function when it can). */
  readonly sampleOn: SampleOn;
  /** The invocations' timeout, decided once the probe found the function (timeoutMs is the probe's). */
  readonly invokeTimeout?: () => Promise<number>;
}

export class LambdaScorer implements FrameScorer {
  readonly model: ModelIdentity;
  readonly description: string;
  readonly warm: WarmResult;
  private readonly pool: FanoutPool;
  private readonly connection: LambdaConnection;
  private readonly started = performance.now();

  private readonly sampleOn: SampleOn;

  private constructor(pool: FanoutPool, connection: LambdaConnection, model: ModelIdentity, warm: WarmResult, sampleOn: SampleOn) {
    this.sampleOn = sampleOn;
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
    if (options.sampleOn === 'lambda' && warm.sampling?.available !== true) {
      throw new LambdaConfigError(`--sample-on lambda: Lambda function "${name}" does not sample videos (${warm.sampling?.reason ?? 'it predates sampling in the function'})`);
    }
    const timeoutMs = options.invokeTimeout === undefined ? options.timeoutMs : await options.invokeTimeout();
    const pool = new FanoutPool({ ...options, timeoutMs, client, expectedModelSha256: warm.model.sha256 });
    return new LambdaScorer(pool, options.connection, warm.model, warm, options.sampleOn);
  }

  /** A video's own stream with its own statistics (batch size chosen from its frame count). */
  session(expectedFrames: number): ScoringSession {
    const session = new FanoutSession(this.pool, expectedFrames);
    const { target } = this.pool.options;
    const figures = new SamplingFigures();
    let remote: RemoteVideo | undefined;
    return {
      score: (frames) => session.score(frames),
      remote: (video) => {
        if (this.sampleOn === 'local') return undefined;
        const refusal = remoteSamplingRefusal(video.opened, video.media, this.warm.sampling?.prefixes, this.warm.sampling?.available === false ? this.warm.sampling.reason ?? 'no reason given' : this.warm.sampling === undefined ? 'it predates sampling in the function' : undefined);
        if (refusal !== undefined) {
          if (this.sampleOn === 'lambda') throw new InputError(`cannot sample "${video.opened.source}" in the function: ${refusal}`);
          video.onNote?.(`sampled locally: ${refusal}`);
          return undefined;
        }
        remote = video;
        return sampleOnLambda(this.pool, video, session.telemetry, figures, this.warm.sampling?.containers ?? ['mp4']);
      },
      facts: (wallMs) => {
        const facts = session.facts(wallMs);
        return {
          function: target.functionName,
          ...(target.qualifier === undefined ? {} : { qualifier: target.qualifier }),
          ...facts,
          concurrency: { ...this.concurrency(), sustained: facts.sustainedConcurrency, peak: facts.peakConcurrency },
          ...(remote === undefined ? {} : {
            sampling: {
              invocations: figures.invocations, functionBytesRead: figures.bytesRead, getRequests: figures.getRequests,
              framesDecoded: figures.framesDecoded, decodeMs: Math.round(figures.decodeMs), clientBytesRead: remote.opened.fetchedBytes?.() ?? 0,
              objectBytes: remote.opened.sizeBytes ?? null,
            },
          }),
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

/**
 * The fan-out pool: one p-limit sized by the AIMD limiter, one HTTP agent, one
 * set of statistics, shared by every video of a run. Each attempt of a batch
 * takes a p-limit slot only while its request is in flight; backoff waits
 * happen outside, so slots are never held by sleeping retries.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { CONTRACT_VERSION, MAX_REQUEST_BYTES, type InvokeRequest } from '../../core/contract.js';
import type { FitMode } from '../../core/preprocess.js';
import { failedFrame, type FramePosition, type FrameResult, type SampledFrame } from '../../core/results.js';
import type { WireImage } from '../../core/wire-image.js';
import { AimdLimiter } from './aimd.js';
import { DEFAULT_BACKOFF, retryDelay, type BackoffPolicy } from './backoff.js';
import type { BatchSizeSetting } from './batching.js';
import { Capacity } from './capacity.js';
import { describeTarget, type LambdaTarget } from './client.js';
import type { Prices } from './cost.js';
import { FunctionUnavailableError } from './errors.js';
import { interpretResponse, type Verdict } from './interpret.js';
import { invokeOnce, type InvokeOutcome } from './invoke.js';
import { Telemetry } from './telemetry.js';
import type { LambdaClient } from '@aws-sdk/client-lambda';

export type Sampled = Extract<SampledFrame, { status: 'sampled' }>;

/** A frame ready to send: where it sits, and its image encoded for the wire (once, for every attempt). */
export interface WireFrame {
  readonly position: FramePosition;
  readonly wire: WireImage;
}

export interface FanoutOptions {
  readonly client: LambdaClient;
  readonly target: LambdaTarget;
  /** --concurrency: the most invocations in flight. */
  readonly concurrency: number;
  readonly batchSize: BatchSizeSetting;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly prices: Prices;
  /** Ctrl-C: stop scheduling; in-flight invocations get graceMs to finish. */
  readonly signal: AbortSignal;
  readonly graceMs?: number;
  readonly backoff?: BackoffPolicy;
  /** The sha256 the function reported when probed; a response from another model fails its frames. */
  readonly expectedModelSha256?: string | undefined;
  readonly maxRequestBytes?: number;
  /** --fit, for images not at the model's size (still images). */
  readonly fit?: FitMode | undefined;
}

/** Ctrl-C grace: long enough for a warm invocation, short enough that a person does not press again. */
export const DEFAULT_GRACE_MS = 5000;

export class FanoutPool {
  readonly limit: LimitFunction;
  readonly aimd: AimdLimiter;
  readonly telemetry = new Telemetry();
  readonly capacity: Capacity;
  readonly options: FanoutOptions;
  /** Set when the function cannot be used at all; every session rethrows it. */
  fatal: FunctionUnavailableError | undefined;
  private readonly hardStop = new AbortController();
  /** Aborted on Ctrl-C: wakes retries sleeping in backoff (one listener on the caller's signal for all of them). */
  private readonly softStop = new AbortController();
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(options: FanoutOptions) {
    this.options = options;
    // Every invocation in flight listens for the hard stop: hundreds at once is the point, not a leak.
    setMaxListeners(0, this.hardStop.signal, this.softStop.signal);
    this.limit = pLimit(options.concurrency);
    this.aimd = new AimdLimiter({ max: options.concurrency, onChange: (limit) => { this.limit.concurrency = limit; } });
    // Batches held at once: enough to keep every slot busy while the next ones are sampled and encoded.
    this.capacity = new Capacity(Math.ceil(options.concurrency * 1.5) + 2);
    const onAbort = (): void => {
      this.softStop.abort();
      this.capacity.wakeAll();
      this.graceTimer = setTimeout(() => this.hardStop.abort(), options.graceMs ?? DEFAULT_GRACE_MS);
      this.graceTimer.unref();
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  }

  get maxRequestBytes(): number {
    return this.options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  }

  /** No new invocation may start: Ctrl-C or a fatal error. */
  get stopped(): boolean {
    return this.options.signal.aborted || this.fatal !== undefined;
  }

  close(): void {
    clearTimeout(this.graceTimer);
    this.hardStop.abort();
  }

  /**
   * Scores one batch with retries. Resolves to its frames' results; frames of a
   * batch cut short by Ctrl-C are left out (the partial report omits them and
   * --resume redoes them). Never rejects.
   */
  scoreBatch(frames: readonly WireFrame[], session: Telemetry): Promise<FrameResult[]> {
    // Serialised once for every attempt; only positions are kept, so the images can be freed while the batch is in flight.
    const { body, ids, positions } = encodeBatch(frames, this.options.fit ?? 'crop');
    return this.attempt(body, (outcome) => interpretResponse(outcome, ids, positions, this.options.expectedModelSha256), positions, session);
  }

  /**
   * Sends one request with the pool's retries, limits and telemetry; `interpret` turns
   * each attempt's outcome into results or a classified failure. Never rejects.
   */
  attempt(body: Buffer, interpret: (outcome: InvokeOutcome) => Verdict, positions: readonly FramePosition[], session: Telemetry): Promise<FrameResult[]> {
    return this.attempts(body, interpret, positions, session);
  }

  private async attempts(body: Buffer, interpret: (outcome: InvokeOutcome) => Verdict, positions: readonly FramePosition[], session: Telemetry): Promise<FrameResult[]> {
    const { maxAttempts, timeoutMs, backoff = DEFAULT_BACKOFF } = this.options;
    for (let attempt = 1; ; attempt += 1) {
      let startedAt = 0;
      const outcome = await this.limit(async () => {
        if (this.stopped) return undefined;
        startedAt = performance.now();
        this.telemetry.started();
        session.started();
        try {
          return await invokeOnce(this.options.client, this.options.target, body, { timeoutMs, signal: this.hardStop.signal });
        } finally {
          this.telemetry.finished();
          session.finished();
        }
      });
      if (outcome === undefined) return [];
      const verdict = interpret(outcome);
      const failure = verdict.kind === 'done' ? undefined : verdict.failure;
      const record = {
        telemetry: outcome.telemetry, ok: failure === undefined, throttled: failure?.kind === 'throttle', retry: attempt > 1,
        coldStart: verdict.kind === 'done' && verdict.coldStart, initMs: verdict.kind === 'done' ? verdict.initMs : undefined,
      };
      this.telemetry.record(record);
      session.record(record);
      if (verdict.kind === 'done') {
        this.aimd.onSuccess(this.limit.pendingCount > 0 || this.limit.activeCount + 1 >= this.aimd.limit);
        return verdict.results.map((result) => ({ ...result, attempts: attempt }));
      }
      const { failure: cause } = verdict;
      if (cause.code === 'INTERRUPTED') return [];
      if (cause.kind === 'throttle') this.aimd.onThrottle(startedAt);
      if (cause.kind === 'fatal') {
        this.fatal ??= new FunctionUnavailableError(describeTarget(this.options.target), cause.code, cause.message);
        this.capacity.wakeAll();
        return [];
      }
      const telemetry = { attempts: attempt, latencyMs: Math.round(outcome.telemetry.latencyMs) };
      if (cause.kind === 'permanent' || attempt >= maxAttempts) {
        const message = cause.kind === 'permanent' ? cause.message : `${cause.message} (gave up after ${attempt} attempts)`;
        return positions.map((frame) => failedFrame(frame, cause.code, message, telemetry));
      }
      const waited = await sleep(retryDelay(attempt, cause.retryAfterMs, backoff), true, { signal: this.softStop.signal }).catch(() => false);
      if (!waited || this.stopped) return [];
    }
  }
}

function encodeBatch(frames: readonly WireFrame[], fit: FitMode): { body: Buffer; ids: InvokeRequest; positions: FramePosition[] } {
  const request: InvokeRequest = { v: CONTRACT_VERSION, fit, frames: frames.map((frame) => ({ id: String(frame.position.index), ...frame.wire })) };
  return {
    body: Buffer.from(JSON.stringify(request)),
    // The response is checked against the ids alone.
    ids: { v: CONTRACT_VERSION, frames: request.frames.map((frame) => ({ id: frame.id, image: '' })) },
    positions: frames.map((frame) => frame.position),
  };
}

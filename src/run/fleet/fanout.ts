/**
 * The fan-out pool: one p-limit sized by the AIMD limiter, one HTTP agent, one
 * set of statistics, shared by every video of a run. Each attempt of a batch
 * takes a p-limit slot only while its request is in flight; backoff waits
 * happen outside, so slots are never held by sleeping retries.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { CONTRACT_VERSION, MAX_REQUEST_BYTES, RETRYABLE_FRAME_CODES, type InvokeRequest } from '../../core/contract.js';
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

/** One request to the function, as the pool sends and retries it. */
export interface PoolRequest {
  readonly body: Buffer;
  readonly positions: readonly FramePosition[];
  /** Turns one attempt's outcome into results or a classified failure. */
  interpret(outcome: InvokeOutcome): Verdict;
  /** The same request for only these frames (by index): the rest of it was answered before the function's deadline. */
  narrow(indices: ReadonlySet<number>): PoolRequest;
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
    return this.attempt(batchRequest(encodeBatch(frames, this.options.fit ?? 'crop'), this.options.expectedModelSha256), session);
  }

  /**
   * Sends one request with the pool's retries, limits and telemetry. Frames the function
   * answered DEADLINE are sent again, alone, in a narrowed request; a round that finished
   * some frames does not count against --max-attempts (each one shrinks the request).
   * Never rejects.
   */
  async attempt(initial: PoolRequest, session: Telemetry): Promise<FrameResult[]> {
    const { maxAttempts, timeoutMs, backoff = DEFAULT_BACKOFF } = this.options;
    const done: FrameResult[] = [];
    let request = initial;
    let spent = 0;
    for (let attempt = 1; ; attempt += 1) {
      const { body, positions } = request;
      spent += 1;
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
      if (outcome === undefined) return done;
      const verdict = request.interpret(outcome);
      const failure = verdict.kind === 'done' ? undefined : verdict.failure;
      const record = {
        telemetry: outcome.telemetry, ok: failure === undefined, throttled: failure?.kind === 'throttle', retry: attempt > 1,
        coldStart: verdict.kind === 'done' && verdict.coldStart, initMs: verdict.kind === 'done' ? verdict.initMs : undefined,
      };
      this.telemetry.record(record);
      session.record(record);
      if (verdict.kind === 'done') {
        this.aimd.onSuccess(this.limit.pendingCount > 0 || this.limit.activeCount + 1 >= this.aimd.limit);
        const again = verdict.results.filter((result) => result.status === 'failed' && RETRYABLE_FRAME_CODES.has(result.code));
        const finished = verdict.results.filter((result) => !again.includes(result));
        done.push(...finished.map((result) => ({ ...result, attempts: attempt })));
        if (again.length === 0) return done;
        this.telemetry.cutShort(again.length);
        session.cutShort(again.length);
        // Progress: this round is not a failed attempt. None: it is, and it waits like one.
        if (finished.length > 0) spent -= 1;
        if (this.stopped) return done;
        if (spent >= maxAttempts) {
          return [...done, ...again.map((result) => ({ ...result, attempts: attempt, message: `${result.status === 'failed' ? result.message : ''} (gave up after ${attempt} attempts)` }))];
        }
        request = request.narrow(new Set(again.map((result) => result.index)));
        if (finished.length > 0) continue;
        const waited = await sleep(retryDelay(spent, undefined, backoff), true, { signal: this.softStop.signal }).catch(() => false);
        if (!waited || this.stopped) return done;
        continue;
      }
      const { failure: cause } = verdict;
      if (cause.code === 'INTERRUPTED') return done;
      if (cause.kind === 'throttle') this.aimd.onThrottle(startedAt);
      if (cause.kind === 'fatal') {
        this.fatal ??= new FunctionUnavailableError(describeTarget(this.options.target), cause.code, cause.message);
        this.capacity.wakeAll();
        return done;
      }
      const telemetry = { attempts: attempt, latencyMs: Math.round(outcome.telemetry.latencyMs) };
      if (cause.kind === 'permanent' || spent >= maxAttempts) {
        const message = cause.kind === 'permanent' ? cause.message : `${cause.message} (gave up after ${attempt} attempts)`;
        return [...done, ...positions.map((frame) => failedFrame(frame, cause.code, message, telemetry))];
      }
      const waited = await sleep(retryDelay(spent, cause.retryAfterMs, backoff), true, { signal: this.softStop.signal }).catch(() => false);
      if (!waited || this.stopped) return done;
    }
  }
}

interface EncodedBatch {
  readonly body: Buffer;
  readonly ids: InvokeRequest;
  readonly positions: readonly FramePosition[];
}

function batchRequest(batch: EncodedBatch, expectedModelSha256: string | undefined): PoolRequest {
  return {
    body: batch.body,
    positions: batch.positions,
    interpret: (outcome) => interpretResponse(outcome, batch.ids, batch.positions, expectedModelSha256),
    // Rare (a batch cut by the function's deadline): the images come back out of the body rather than being held for every batch.
    narrow: (indices) => {
      const sent = JSON.parse(batch.body.toString('utf8')) as InvokeRequest;
      const keep = (id: string): boolean => indices.has(Number(id));
      const request: InvokeRequest = { ...sent, frames: sent.frames.filter((frame) => keep(frame.id)) };
      return batchRequest({
        body: Buffer.from(JSON.stringify(request)),
        ids: { ...batch.ids, frames: batch.ids.frames.filter((frame) => keep(frame.id)) },
        positions: batch.positions.filter((position) => indices.has(position.index)),
      }, expectedModelSha256);
    },
  };
}

function encodeBatch(frames: readonly WireFrame[], fit: FitMode): EncodedBatch {
  const request: InvokeRequest = { v: CONTRACT_VERSION, fit, frames: frames.map((frame) => ({ id: String(frame.position.index), ...frame.wire })) };
  return {
    body: Buffer.from(JSON.stringify(request)),
    // The response is checked against the ids alone.
    ids: { v: CONTRACT_VERSION, frames: request.frames.map((frame) => ({ id: frame.id, image: '' })) },
    positions: frames.map((frame) => frame.position),
  };
}

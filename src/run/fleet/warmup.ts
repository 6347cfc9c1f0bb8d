/**
 * Warm-up: N concurrent {warmup: true, holdMs} events. Each holds its
 * environment for holdMs, so Lambda must start N distinct environments rather
 * than reuse one; the responses say which were cold and how long INIT took.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseErrorResponse, parseWarmupResponse, type SamplingCapability, type WarmupRequest } from '../../core/contract.js';
import { ContractError } from '../../core/errors.js';
import type { ModelIdentity } from '../../core/model-manifest.js';
import { DEFAULT_BACKOFF, retryDelay } from './backoff.js';
import { describeTarget, type LambdaTarget } from './client.js';
import { FunctionUnavailableError } from './errors.js';
import { classifyErrorResponse, type InvokeFailure } from './failure.js';
import { invokeOnce, type InvokeOutcome } from './invoke.js';
import { percentile } from './telemetry.js';

export interface WarmOptions {
  readonly client: LambdaClient;
  readonly target: LambdaTarget;
  readonly count: number;
  readonly holdMs: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly signal?: AbortSignal | undefined;
}

export interface WarmResult {
  readonly requested: number;
  readonly warmed: number;
  readonly cold: number;
  readonly initMs: { readonly p50: number | null; readonly max: number | null; readonly values: readonly number[] };
  readonly attempts: number;
  readonly wallMs: number;
  readonly failures: ReadonlyArray<{ readonly code: string; readonly message: string }>;
  readonly model?: ModelIdentity | undefined;
  /** Whether the function samples S3 videos itself (absent: an older function that does not). */
  readonly sampling?: SamplingCapability | undefined;
}

export async function warmEnvironments(options: WarmOptions): Promise<WarmResult> {
  const started = performance.now();
  const body = JSON.stringify({ warmup: true, holdMs: options.holdMs } satisfies WarmupRequest);
  // One listener on the caller's signal; the N concurrent warm-ups listen on this one.
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await warmAll(options, body, stop.signal, started);
  } catch (error) {
    stop.abort(); // a fatal answer: the other warm-ups are pointless
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function warmAll(options: WarmOptions, body: string, signal: AbortSignal, started: number): Promise<WarmResult> {
  let attempts = 0;
  const one = async (): Promise<Warmed | { ok: false; failure: InvokeFailure }> => {
    for (let attempt = 1; ; attempt += 1) {
      attempts += 1;
      const outcome = await invokeOnce(options.client, options.target, body, { timeoutMs: options.timeoutMs + options.holdMs, signal });
      const answer = readWarmup(outcome);
      if (answer.ok) return answer;
      const { failure } = answer;
      if (failure.kind === 'fatal') throw new FunctionUnavailableError(describeTarget(options.target), failure.code, failure.message);
      if (failure.kind === 'permanent' || attempt >= options.maxAttempts || signal.aborted) return { ok: false, failure };
      await sleep(retryDelay(attempt, failure.retryAfterMs, DEFAULT_BACKOFF), undefined, { signal }).catch(() => undefined);
    }
  };
  const outcomes = await Promise.all(Array.from({ length: options.count }, one));
  const warmed = outcomes.filter((outcome) => outcome.ok);
  const initMs = warmed.filter((outcome) => outcome.cold).map((outcome) => Math.round(outcome.initMs * 10) / 10).sort((a, b) => a - b);
  return {
    requested: options.count,
    warmed: warmed.length,
    cold: warmed.filter((outcome) => outcome.cold).length,
    initMs: { p50: percentile(initMs, 0.5), max: initMs.at(-1) ?? null, values: initMs },
    attempts,
    wallMs: Math.round(performance.now() - started),
    failures: outcomes.flatMap((outcome) => (outcome.ok ? [] : [{ code: outcome.failure.code, message: outcome.failure.message }])),
    model: warmed.find((outcome) => outcome.model !== undefined)?.model,
    sampling: warmed.find((outcome) => outcome.sampling !== undefined)?.sampling,
  };
}

interface Warmed {
  readonly ok: true;
  readonly cold: boolean;
  readonly initMs: number;
  readonly model?: ModelIdentity | undefined;
  readonly sampling?: SamplingCapability | undefined;
}

/** One warm-up's answer, validated. One that breaks the contract is fatal: whatever answers that way is no classifier we can use. */
function readWarmup(outcome: InvokeOutcome): Warmed | { ok: false; failure: InvokeFailure } {
  if (!outcome.ok) return { ok: false, failure: outcome.failure };
  let response;
  try {
    const error = parseErrorResponse(outcome.payload, 'warm-up response');
    if (error !== undefined) return { ok: false, failure: classifyErrorResponse(error.error) };
    response = parseWarmupResponse(outcome.payload);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return { ok: false, failure: { kind: 'fatal', code: 'MALFORMED_RESPONSE', message: error.message } };
  }
  const reportedInitMs = outcome.telemetry.report?.initMs;
  return { ok: true, cold: response.coldStart || reportedInitMs !== undefined, initMs: reportedInitMs ?? response.initMs, model: response.model, sampling: response.sampling };
}

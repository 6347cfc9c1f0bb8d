/** Warm-up pings: scheduled EventBridge events or {warmup: true, holdMs}. */
import { type ErrorResponse, type WarmupResponse } from '../core/contract.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorResponse, type Outcome } from './batch.js';
import { ModelUnavailableError } from './errors.js';
import { NO_FRAMES } from './log.js';
import type { Acquired, ModelRuntime } from './runtime.js';
import { JOB_CONTAINERS, SPAN_CONTAINERS } from '../core/contract-sample.js';
import type { SamplingAccess } from './sampling/access.js';

/** Time kept free at the end of a hold so the response still makes it out before the timeout. */
const HOLD_MARGIN_MS = 1000;

/**
 * Loads the model if needed and, with holdMs, stays busy so that N concurrent
 * warm-ups occupy N distinct execution environments instead of one.
 */
export async function handleWarmup(holdMs: number, runtime: ModelRuntime, access: SamplingAccess, remainingMs?: () => number): Promise<Outcome<WarmupResponse | ErrorResponse>> {
  let acquired: Acquired;
  try {
    acquired = await runtime.acquire();
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    const problem = { code: 'MODEL_UNAVAILABLE' as const, message: error.message };
    return { response: errorResponse(problem.code, problem.message), stats: { ...NO_FRAMES, error: problem } };
  }
  const budget = remainingMs === undefined ? holdMs : Math.max(0, remainingMs() - HOLD_MARGIN_MS);
  const hold = Math.min(holdMs, budget);
  if (hold > 0) await sleep(hold);
  const { model, coldStart, initMs } = acquired;
  return {
    response: {
      warm: true, coldStart, initMs, model: model.classifier.identity, engine: model.classifier.engine.name,
      // What the CLI's --sample-on auto asks: may this function read and decode the caller's video itself?
      sampling: access.unavailable === undefined ? { available: true, prefixes: access.prefixes, containers: JOB_CONTAINERS, spans: SPAN_CONTAINERS } : { available: false, prefixes: [], reason: access.unavailable },
    },
    stats: { ...NO_FRAMES, coldStart, initMs },
  };
}

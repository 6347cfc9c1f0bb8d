import type { LambdaClient } from '@aws-sdk/client-lambda';
import { isErrorResponse, parseInvokeResponse } from '../../core/contract.js';
import { ContractError } from '../../core/errors.js';
import { fixtureRequest } from './batch-checks.js';
import { median } from './compare.js';
import type { SmokeFixtures } from './fixtures.js';
import { invokeJson, type FunctionTarget } from './invoke.js';
import { check, type CheckResult } from './result.js';

/** Enough for a median that one slow network round trip does not decide. */
export const WARM_INVOCATIONS = 3;

/**
 * One-frame invocations after the first call, one after another so they reuse
 * the now-warm environment. The median must be within the limit; every call
 * must also succeed.
 */
export async function warmLatencyCheck(
  client: LambdaClient, target: FunctionTarget, fixtures: SmokeFixtures, maxLatencyMs: number, signal?: AbortSignal,
): Promise<CheckResult> {
  const request = fixtureRequest(fixtures, fixtures.frames.slice(0, 1));
  const latencies: number[] = [];
  const problems: string[] = [];
  let coldStarts = 0;
  for (let i = 0; i < WARM_INVOCATIONS && !signal?.aborted; i += 1) {
    const outcome = await invokeJson(client, target, request, signal);
    latencies.push(outcome.latencyMs);
    if (!outcome.ok) {
      problems.push(`invocation ${i + 1}: ${outcome.problem}`);
      continue;
    }
    try {
      const response = parseInvokeResponse(outcome.payload, request);
      if (isErrorResponse(response)) problems.push(`invocation ${i + 1}: the function answered ${response.error.code}: ${response.error.message}`);
      else if (response.timing.coldStart) coldStarts += 1;
    } catch (error) {
      if (!(error instanceof ContractError)) throw error;
      problems.push(`invocation ${i + 1}: the response breaks the contract: ${error.message}`);
    }
  }
  const middle = latencies.length > 0 ? median(latencies) : 0;
  const durationMs = latencies.reduce((sum, ms) => sum + ms, 0);
  const facts = { medianMs: middle, latenciesMs: latencies, maxLatencyMs, coldStarts };
  const measured = `median ${middle} ms over ${latencies.length} warm invocations (${latencies.join(', ')} ms)`;
  if (problems.length > 0) return check('warm-latency', 'fail', `${problems.length} of ${latencies.length} warm invocations failed`, { details: problems, durationMs, facts });
  if (middle > maxLatencyMs) {
    return check('warm-latency', 'fail', `too slow: ${measured}; the limit is ${maxLatencyMs} ms`, {
      details: [`median ${middle} ms > --max-latency-ms ${maxLatencyMs}`, ...(coldStarts > 0 ? [`${coldStarts} of them landed on a cold environment`] : [])],
      durationMs,
      facts,
    });
  }
  return check('warm-latency', 'pass', `${measured}, limit ${maxLatencyMs} ms${coldStarts > 0 ? `; ${coldStarts} hit a cold environment` : ''}`, { durationMs, facts });
}

import type { LambdaClient } from '@aws-sdk/client-lambda';
import { invokeCheck, modelCheck, scoresCheck } from './batch-checks.js';
import type { SmokeFixtures } from './fixtures.js';
import { functionUrlCheck } from './function-url.js';
import type { FunctionTarget } from './invoke.js';
import { warmLatencyCheck } from './latency-check.js';
import { check, type CheckResult, type SmokeResult } from './result.js';

export interface SmokeOptions {
  readonly target: FunctionTarget;
  readonly fixtures: SmokeFixtures;
  readonly tolerance: number;
  readonly maxLatencyMs: number;
  readonly url?: string | undefined;
  /** For the Function URL request (the Lambda client has its own). */
  readonly timeoutMs: number;
  readonly endpoint?: string | undefined;
}

/** Runs every check; checks that depend on a failed one are skipped, never left out. */
export async function runSmoke(options: SmokeOptions, client: LambdaClient, signal?: AbortSignal): Promise<SmokeResult> {
  const startedAt = new Date();
  const started = performance.now();
  const checks: CheckResult[] = [];
  const { result, response } = await invokeCheck(client, options.target, options.fixtures, signal);
  checks.push(result);
  if (response !== undefined) {
    checks.push(modelCheck(response, options.fixtures), scoresCheck(response, options.fixtures, options.tolerance));
    checks.push(await warmLatencyCheck(client, options.target, options.fixtures, options.maxLatencyMs, signal));
  } else {
    const why = 'not checked: the first invocation failed';
    checks.push(check('model', 'skip', why), check('scores', 'skip', why), check('warm-latency', 'skip', why));
  }
  if (options.url !== undefined) checks.push(await functionUrlCheck(options.url, options.fixtures, options.tolerance, options.timeoutMs, client, signal));
  return {
    function: options.target.functionName,
    qualifier: options.target.qualifier,
    endpoint: options.endpoint,
    url: options.url,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    passed: checks.every((entry) => entry.status === 'pass'),
    checks,
  };
}

import type { LambdaClient } from '@aws-sdk/client-lambda';
import { CONTRACT_VERSION, isErrorResponse, parseInvokeResponse, type InvokeRequest, type InvokeResponse } from '../../core/contract.js';
import { ContractError } from '../../core/errors.js';
import { compareScores } from './compare.js';
import type { SmokeFixtures } from './fixtures.js';
import { invokeJson, type FunctionTarget } from './invoke.js';
import { check, type CheckResult } from './result.js';

export function fixtureRequest(fixtures: SmokeFixtures, frames = fixtures.frames): InvokeRequest {
  return { v: CONTRACT_VERSION, frames: frames.map((frame) => ({ id: frame.id, image: Buffer.from(frame.jpeg).toString('base64') })) };
}

/**
 * The first call sends every fixture frame in one batch: its latency is the
 * cold one if the function was idle. Gives the invoke check and the parsed
 * response (undefined when the call failed).
 */
export async function invokeCheck(client: LambdaClient, target: FunctionTarget, fixtures: SmokeFixtures, signal?: AbortSignal): Promise<{ result: CheckResult; response?: InvokeResponse }> {
  const request = fixtureRequest(fixtures);
  const outcome = await invokeJson(client, target, request, signal);
  if (!outcome.ok) return { result: check('invoke', 'fail', outcome.problem, { durationMs: outcome.latencyMs, facts: { latencyMs: outcome.latencyMs, frames: request.frames.length } }) };
  return batchAnswerCheck(outcome.payload, request, outcome.latencyMs);
}

/** The invoke check's verdict on the first call's answer, with the parsed response when it holds to the contract. */
export function batchAnswerCheck(payload: unknown, request: InvokeRequest, latencyMs: number): { result: CheckResult; response?: InvokeResponse } {
  const facts = { latencyMs, frames: request.frames.length };
  let response;
  try {
    response = parseInvokeResponse(payload, request);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return { result: check('invoke', 'fail', `the response breaks the framescore contract v${CONTRACT_VERSION}: ${error.message}`, { durationMs: latencyMs, facts }) };
  }
  if (isErrorResponse(response)) {
    return { result: check('invoke', 'fail', `the function answered ${response.error.code}: ${response.error.message}`, { durationMs: latencyMs, facts }) };
  }
  const { coldStart, initMs, inferMs } = response.timing;
  const how = coldStart ? `cold start, init ${Math.round(initMs)} ms` : 'warm environment';
  return {
    result: check('invoke', 'pass', `${request.frames.length} frames answered in ${latencyMs} ms (${how}, inference ${Math.round(inferMs)} ms)`, {
      durationMs: latencyMs,
      facts: { ...facts, coldStart, initMs, inferMs },
    }),
    response,
  };
}

/** The function must run the model the fixtures were scored with: same sha256, same labels in the same order. */
export function modelCheck(response: InvokeResponse, fixtures: SmokeFixtures): CheckResult {
  const want = fixtures.model;
  const got = response.model;
  const details: string[] = [];
  if (got.sha256 !== want.sha256) details.push(`sha256: expected ${want.sha256} (${want.name} ${want.version}), got ${got.sha256} (${got.name} ${got.version})`);
  if (JSON.stringify(got.labels) !== JSON.stringify(want.labels)) details.push(`labels: expected ${want.labels.join(', ')}, got ${got.labels.join(', ')}`);
  const facts = { sha256: got.sha256, name: got.name, version: got.version };
  if (details.length > 0) return check('model', 'fail', `the function runs a different model: ${got.name} ${got.version}`, { details, facts });
  return check('model', 'pass', `${got.name} ${got.version}, sha256 ${got.sha256.slice(0, 12)}…`, { facts });
}

export function scoresCheck(response: InvokeResponse, fixtures: SmokeFixtures, tolerance: number): CheckResult {
  const details: string[] = [];
  let largest = 0;
  let differing = 0;
  for (const frame of fixtures.frames) {
    const result = response.results.find((candidate) => candidate.id === frame.id);
    if (result === undefined || result.status !== 'ok') {
      differing += 1;
      details.push(`${frame.id}: not scored${result?.status === 'failed' ? ` (${result.code}: ${result.message})` : ''}`);
      continue;
    }
    const comparison = compareScores(frame.id, frame.scores, result.scores, tolerance);
    largest = Math.max(largest, comparison.largest);
    if (comparison.differences.length > 0) differing += 1;
    details.push(...comparison.differences);
  }
  const total = fixtures.frames.length;
  const facts = { tolerance, largestDifference: Number.isFinite(largest) ? largest : -1 };
  if (differing > 0) return check('scores', 'fail', `${differing} of ${total} frames differ from the expected scores by more than ${tolerance}`, { details, facts });
  return check('scores', 'pass', `${total} frames match the expected scores within ${tolerance} (largest difference ${largest.toExponential(1)})`, { facts });
}

/**
 * Turns one invocation's outcome into frame results or a classified failure,
 * validating the payload against the wire contract first.
 */
import { isErrorResponse, parseInvokeResponse, type InvokeRequest } from '../../core/contract.js';
import { ContractError } from '../../core/errors.js';
import { failedFrame, type FramePosition, type FrameResult } from '../../core/results.js';
import { classifyErrorResponse, type InvokeFailure } from './failure.js';
import type { InvokeOutcome } from './invoke.js';

export type Verdict =
  | { readonly kind: 'done'; readonly results: FrameResult[]; readonly coldStart: boolean; readonly initMs: number | undefined }
  | { readonly kind: 'failed'; readonly failure: InvokeFailure };

export function interpretResponse(outcome: InvokeOutcome, request: InvokeRequest, frames: readonly FramePosition[], expectedModelSha256: string | undefined): Verdict {
  if (!outcome.ok) return { kind: 'failed', failure: outcome.failure };
  let response;
  try {
    response = parseInvokeResponse(outcome.payload, request);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    // Valid JSON of the wrong shape: another version of the handler, not a passing fault. The message names the field.
    return { kind: 'failed', failure: { kind: 'permanent', code: 'MALFORMED_RESPONSE', message: error.message } };
  }
  if (isErrorResponse(response)) return { kind: 'failed', failure: classifyErrorResponse(response.error) };
  if (expectedModelSha256 !== undefined && response.model.sha256 !== expectedModelSha256) {
    const message = `the function answered with model ${response.model.name} ${response.model.sha256.slice(0, 12)}…, not ${expectedModelSha256.slice(0, 12)}… (deployed mid-run?)`;
    return { kind: 'failed', failure: { kind: 'permanent', code: 'MODEL_MISMATCH', message } };
  }
  const coldStart = response.timing.coldStart || outcome.telemetry.report?.initMs !== undefined;
  const latencyMs = Math.round(outcome.telemetry.latencyMs);
  const byId = new Map(response.results.map((result) => [result.id, result]));
  const results = frames.map((frame): FrameResult => {
    const result = byId.get(String(frame.index))!;
    const telemetry = { latencyMs, coldStart };
    if (result.status === 'failed') return failedFrame(frame, result.code, result.message, telemetry);
    return { index: frame.index, requestedTime: frame.requestedTime, actualTime: frame.actualTime, status: 'ok', scores: result.scores, top: result.top, ...telemetry };
  });
  return { kind: 'done', results, coldStart, initMs: response.timing.coldStart ? response.timing.initMs : undefined };
}

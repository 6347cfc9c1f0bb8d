/**
 * Turns one invocation's outcome into frame results or a classified failure,
 * validating the payload against the wire contract first. The same checks for
 * both kinds of request: frames to score, and decode jobs to sample and score.
 */
import { parseInvokeResponse, type ErrorResponse, type FrameResultWire, type InvokeRequest } from '../../core/contract.js';
import { ContractError } from '../../core/errors.js';
import type { ModelIdentity } from '../../core/model-manifest.js';
import { failedFrame, type FramePosition, type FrameResult } from '../../core/results.js';
import { classifyErrorResponse, type InvokeFailure } from './failure.js';
import type { InvokeOutcome } from './invoke.js';

export type Verdict =
  | { readonly kind: 'done'; readonly results: FrameResult[]; readonly coldStart: boolean; readonly initMs: number | undefined }
  | { readonly kind: 'failed'; readonly failure: InvokeFailure };

/** What every successful answer carries, whatever was asked. */
export interface Answer {
  readonly model: ModelIdentity;
  readonly timing: { readonly coldStart: boolean; readonly initMs: number };
  readonly results: ReadonlyArray<FrameResultWire & { readonly actualTime?: number | null | undefined }>;
}

/**
 * The checks every answer passes: the invocation succeeded, the payload keeps the
 * contract (`parse` validates it against what was sent), it is not an error
 * answer, and it came from the model the run started with. Then each frame's
 * result, by id; `onAnswer` sees the answer first (figures, thumbnails).
 */
export function interpretAnswer<A extends Answer>(
  outcome: InvokeOutcome, parse: (payload: unknown) => A | ErrorResponse, frames: readonly FramePosition[], expectedModelSha256: string | undefined,
  onAnswer?: (answer: A) => void,
): Verdict {
  if (!outcome.ok) return { kind: 'failed', failure: outcome.failure };
  let response: A | ErrorResponse;
  try {
    response = parse(outcome.payload);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    // Valid JSON of the wrong shape: another version of the handler, not a passing fault. The message names the field.
    return { kind: 'failed', failure: { kind: 'permanent', code: 'MALFORMED_RESPONSE', message: error.message } };
  }
  if ('error' in response) return { kind: 'failed', failure: classifyErrorResponse(response.error) };
  if (expectedModelSha256 !== undefined && response.model.sha256 !== expectedModelSha256) {
    const message = `the function answered with model ${response.model.name} ${response.model.sha256.slice(0, 12)}…, not ${expectedModelSha256.slice(0, 12)}… (deployed mid-run?)`;
    return { kind: 'failed', failure: { kind: 'permanent', code: 'MODEL_MISMATCH', message } };
  }
  onAnswer?.(response);
  const coldStart = response.timing.coldStart || outcome.telemetry.report?.initMs !== undefined;
  const latencyMs = Math.round(outcome.telemetry.latencyMs);
  const byId = new Map(response.results.map((result) => [result.id, result]));
  const results = frames.map((frame): FrameResult => {
    const result = byId.get(String(frame.index))!;
    const telemetry = { latencyMs, coldStart };
    // Frames sampled in the function say which frame they decoded; frames sent from here keep where they were sampled.
    const actualTime = result.actualTime ?? frame.actualTime;
    if (result.status === 'failed') return failedFrame({ ...frame, actualTime }, result.code, result.message, telemetry);
    return { index: frame.index, requestedTime: frame.requestedTime, actualTime, status: 'ok', scores: result.scores, top: result.top, ...telemetry };
  });
  return { kind: 'done', results, coldStart, initMs: response.timing.coldStart ? response.timing.initMs : undefined };
}

/** An answer to frames sent from here. */
export function interpretResponse(outcome: InvokeOutcome, request: InvokeRequest, frames: readonly FramePosition[], expectedModelSha256: string | undefined): Verdict {
  return interpretAnswer(outcome, (payload) => parseInvokeResponse(payload, request), frames, expectedModelSha256);
}

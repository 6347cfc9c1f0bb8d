/** Direct invocation with a batch of frames, per the CLI/Lambda contract. */
import { ACCEPTED_REQUEST_VERSIONS, CONTRACT_VERSION, parseInvokeRequest, type ErrorResponse, type FrameResultWire, type InvokeResponse, type InvokeRequest } from '../core/contract.js';
import { ContractError, ImageDecodeError, errorMessage } from '../core/errors.js';
import type { FrameImage } from '../core/image-decode.js';
import { isRecord } from '../core/model-manifest.js';
import { fromWirePixels } from '../core/wire-image.js';
import { decodeBase64 } from './base64.js';
import { Deadline, deadlineFailure, scoreInTime } from './deadline.js';
import { Base64Error, ModelUnavailableError } from './errors.js';
import { roundMs, type InvocationStats } from './log.js';
import type { Acquired, ModelRuntime } from './runtime.js';

export interface Outcome<T> {
  readonly response: T;
  readonly stats: InvocationStats;
}

/** An error answer, in the request's own version when it named one this handler speaks. */
export function errorResponse(code: ErrorResponse['error']['code'], message: string, event?: unknown): ErrorResponse {
  const asked = isRecord(event) && typeof event.v === 'number' && ACCEPTED_REQUEST_VERSIONS.includes(event.v) ? event.v : CONTRACT_VERSION;
  return { v: asked, error: { code, message } };
}

/** `remainingMs`: the Lambda context's clock; frames not scored in time are answered DEADLINE for the client to resend. */
export async function handleBatch(event: unknown, runtime: ModelRuntime, remainingMs: () => number = () => Infinity): Promise<Outcome<InvokeResponse | ErrorResponse>> {
  let request: InvokeRequest;
  try {
    request = parseInvokeRequest(event);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return failure('INVALID_REQUEST', error.message, 0, event);
  }
  const frames = request.frames.length;
  let acquired: Acquired;
  try {
    acquired = await runtime.acquire();
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    return failure('MODEL_UNAVAILABLE', error.message, frames, event);
  }
  const { model, coldStart, initMs } = acquired;

  const results: FrameResultWire[] = new Array(frames);
  const images: FrameImage[] = [];
  const slots: number[] = [];
  request.frames.forEach((frame, slot) => {
    try {
      images.push('image' in frame ? decodeBase64(frame.image) : fromWirePixels(frame.pixels, decodeBase64(frame.pixels.data)));
      slots.push(slot);
    } catch (error) {
      if (!(error instanceof Base64Error || error instanceof ImageDecodeError)) throw error;
      const field = 'image' in frame ? 'image' : 'pixels';
      results[slot] = { id: frame.id, status: 'failed', code: 'INVALID_IMAGE', message: error instanceof Base64Error ? `${field} is ${errorMessage(error)}` : errorMessage(error) };
    }
  });
  const started = performance.now();
  const deadline = new Deadline(remainingMs);
  const fit = request.fit ?? 'crop';
  const { scored, late } = await scoreInTime(images.map((image, i) => ({ image, slot: slots[i]! })), (chunk) => model.classifier.classify(chunk.map((entry) => entry.image), fit), deadline)
    .finally(() => deadline.dispose());
  const inferMs = roundMs(performance.now() - started);
  scored.forEach((result, i) => {
    const slot = slots[i]!;
    results[slot] = { id: request.frames[slot]!.id, ...result };
  });
  for (const { slot } of late) results[slot] = { status: 'failed', ...deadlineFailure(request.frames[slot]!.id) };

  const ok = results.filter((result) => result.status === 'ok').length;
  return {
    response: { v: request.v, model: model.classifier.identity, results, timing: { coldStart, initMs, inferMs } },
    stats: { frames, ok, failed: frames - ok, inferMs, coldStart, initMs, ...(late.length > 0 ? { deadline: late.length } : {}) },
  };
}

function failure(code: ErrorResponse['error']['code'], message: string, frames: number, event: unknown): Outcome<ErrorResponse> {
  return { response: errorResponse(code, message, event), stats: { frames, ok: 0, failed: frames, inferMs: 0, error: { code, message } } };
}

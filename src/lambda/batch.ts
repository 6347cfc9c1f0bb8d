/** Direct invocation with a batch of frames, per the CLI/Lambda contract. */
import { CONTRACT_VERSION, parseInvokeRequest, type ErrorResponse, type FrameResultWire, type InvokeResponse, type InvokeRequest } from '../core/contract.js';
import { ContractError, errorMessage } from '../core/errors.js';
import { decodeBase64 } from './base64.js';
import { Base64Error, ModelUnavailableError } from './errors.js';
import { roundMs, type InvocationStats } from './log.js';
import type { Acquired, ModelRuntime } from './runtime.js';

export interface Outcome<T> {
  readonly response: T;
  readonly stats: InvocationStats;
}

export function errorResponse(code: ErrorResponse['error']['code'], message: string): ErrorResponse {
  return { v: CONTRACT_VERSION, error: { code, message } };
}

export async function handleBatch(event: unknown, runtime: ModelRuntime): Promise<Outcome<InvokeResponse | ErrorResponse>> {
  let request: InvokeRequest;
  try {
    request = parseInvokeRequest(event);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return failure('INVALID_REQUEST', error.message, 0);
  }
  const frames = request.frames.length;
  let acquired: Acquired;
  try {
    acquired = await runtime.acquire();
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    return failure('MODEL_UNAVAILABLE', error.message, frames);
  }
  const { model, coldStart, initMs } = acquired;

  const results: FrameResultWire[] = new Array(frames);
  const images: Uint8Array[] = [];
  const slots: number[] = [];
  request.frames.forEach((frame, slot) => {
    try {
      images.push(decodeBase64(frame.image));
      slots.push(slot);
    } catch (error) {
      if (!(error instanceof Base64Error)) throw error;
      results[slot] = { id: frame.id, status: 'failed', code: 'INVALID_IMAGE', message: `image is ${errorMessage(error)}` };
    }
  });
  const started = performance.now();
  const scored = await model.classifier.classify(images);
  const inferMs = roundMs(performance.now() - started);
  scored.forEach((result, i) => {
    const slot = slots[i]!;
    results[slot] = { id: request.frames[slot]!.id, ...result };
  });

  const ok = results.filter((result) => result.status === 'ok').length;
  return {
    response: { v: CONTRACT_VERSION, model: model.classifier.identity, results, timing: { coldStart, initMs, inferMs } },
    stats: { frames, ok, failed: frames - ok, inferMs, coldStart, initMs },
  };
}

function failure(code: ErrorResponse['error']['code'], message: string, frames: number): Outcome<ErrorResponse> {
  return { response: errorResponse(code, message), stats: { frames, ok: 0, failed: frames, inferMs: 0, error: { code, message } } };
}

/**
 * The wire contract between the CLI (or any caller) and the classifier Lambda.
 * One module, versioned, validated on both sides: the handler parses what it
 * receives with parseInvokeRequest, the CLI parses what comes back with
 * parseInvokeResponse / parseWarmupResponse.
 */
import { ContractError } from './errors.js';
import { isRecord, type ModelIdentity } from './model-manifest.js';
import type { Scores } from './classifier.js';
import { FIT_MODES, type FitMode } from './preprocess.js';
import type { WirePixels } from './wire-image.js';

/**
 * 2: frames may carry lossless `pixels` instead of an `image` file, and a request a
 * `fit`. The handler still accepts version 1 requests (image files only) and answers
 * each request in its own version.
 */
export const CONTRACT_VERSION = 2;
export const ACCEPTED_REQUEST_VERSIONS: readonly number[] = [1, 2];
/** Lambda's synchronous invoke payload limit, each way. */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** What the CLI allows itself per request, leaving margin for JSON overhead and the response. */
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
export const MAX_FRAMES_PER_REQUEST = 256;
export const MAX_ID_LENGTH = 200;
export const MAX_HOLD_MS = 30_000;

export type FrameRequest =
  | { readonly id: string; /** Base64 JPEG or PNG. */ readonly image: string }
  | { readonly id: string; /** Lossless RGB (see wire-image.ts). */ readonly pixels: WirePixels };

export interface InvokeRequest {
  readonly v: number;
  readonly frames: readonly FrameRequest[];
  /** How images not at the model's input size are fitted (default crop, as the CLI's --fit). */
  readonly fit?: FitMode;
}

export interface WarmupRequest {
  readonly warmup: true;
  /** Keep this environment busy so concurrent warm-ups land on distinct environments. */
  readonly holdMs?: number;
}

export type FrameFailureCode = 'INVALID_IMAGE' | 'INFERENCE_FAILED';

export type FrameResultWire =
  | { readonly id: string; readonly status: 'ok'; readonly scores: Scores; readonly top: { readonly label: string; readonly score: number } }
  | { readonly id: string; readonly status: 'failed'; readonly code: FrameFailureCode | string; readonly message: string };

export interface InvokeTiming {
  readonly coldStart: boolean;
  readonly initMs: number;
  readonly inferMs: number;
}

export interface InvokeResponse {
  /** The version of the request it answers. */
  readonly v: number;
  readonly model: ModelIdentity;
  readonly results: readonly FrameResultWire[];
  readonly timing: InvokeTiming;
}

/** What the handler returns for a request it cannot accept (it never throws for bad input). */
export interface ErrorResponse {
  readonly v: number;
  readonly error: { readonly code: 'INVALID_REQUEST' | 'MODEL_UNAVAILABLE' | 'INTERNAL'; readonly message: string };
}

export interface WarmupResponse {
  readonly warm: true;
  readonly coldStart: boolean;
  readonly initMs: number;
  readonly model?: ModelIdentity;
}

export function isWarmupRequest(event: unknown): event is WarmupRequest {
  return isRecord(event) && event.warmup === true;
}

/** Validates a batch request. Throws ContractError with a message naming the field. */
export function parseInvokeRequest(event: unknown): InvokeRequest {
  if (!isRecord(event)) throw new ContractError('request is not a JSON object');
  if (typeof event.v !== 'number' || !ACCEPTED_REQUEST_VERSIONS.includes(event.v)) {
    throw new ContractError(`request "v" must be one of ${ACCEPTED_REQUEST_VERSIONS.join(', ')} (got ${JSON.stringify(event.v)})`);
  }
  if (event.fit !== undefined && !FIT_MODES.includes(event.fit as FitMode)) throw new ContractError(`request "fit" must be one of ${FIT_MODES.join(', ')}`);
  if (!Array.isArray(event.frames)) throw new ContractError('request "frames" must be a list');
  if (event.frames.length === 0) throw new ContractError('request "frames" is empty');
  if (event.frames.length > MAX_FRAMES_PER_REQUEST) throw new ContractError(`request has ${event.frames.length} frames; at most ${MAX_FRAMES_PER_REQUEST} per invocation`);
  const seen = new Set<string>();
  event.frames.forEach((frame: unknown, i: number) => {
    if (!isRecord(frame)) throw new ContractError(`frames[${i}] is not an object`);
    if (typeof frame.id !== 'string' || frame.id.length === 0 || frame.id.length > MAX_ID_LENGTH) {
      throw new ContractError(`frames[${i}].id must be a string of 1–${MAX_ID_LENGTH} characters`);
    }
    if (seen.has(frame.id)) throw new ContractError(`frames[${i}].id "${frame.id}" is repeated`);
    seen.add(frame.id);
    // A bad image fails only its frame (decoded later), but its fields must have the right types.
    if (typeof frame.image === 'string') return;
    const pixels = frame.pixels;
    if (event.v === 1 || !isRecord(pixels)) throw new ContractError(`frames[${i}] needs "image" (a base64 string)${event.v === 1 ? '' : ' or "pixels"'}`);
    if (typeof pixels.width !== 'number' || typeof pixels.height !== 'number' || typeof pixels.data !== 'string') {
      throw new ContractError(`frames[${i}].pixels needs numbers "width" and "height" and a base64 string "data"`);
    }
  });
  return event as unknown as InvokeRequest;
}

/** Validates a batch response against the request it answers. */
export function parseInvokeResponse(payload: unknown, request: InvokeRequest): InvokeResponse | ErrorResponse {
  if (!isRecord(payload)) throw new ContractError('response is not a JSON object');
  if (payload.v !== request.v) throw new ContractError(`response "v" is ${JSON.stringify(payload.v)}, expected ${request.v} (the request's)`);
  if (isRecord(payload.error)) {
    if (typeof payload.error.code !== 'string' || typeof payload.error.message !== 'string') throw new ContractError('response error lacks code or message');
    return payload as unknown as ErrorResponse;
  }
  const model = payload.model;
  if (!isRecord(model) || typeof model.name !== 'string' || typeof model.sha256 !== 'string' || !Array.isArray(model.labels)) {
    throw new ContractError('response "model" lacks name, sha256 or labels');
  }
  if (!Array.isArray(payload.results)) throw new ContractError('response "results" is not a list');
  const wanted = new Set(request.frames.map((frame) => frame.id));
  for (const [i, result] of payload.results.entries()) {
    if (!isRecord(result) || typeof result.id !== 'string') throw new ContractError(`response results[${i}] has no id`);
    if (!wanted.delete(result.id)) throw new ContractError(`response results[${i}].id "${result.id}" was not requested or is repeated`);
    if (result.status === 'ok') {
      if (!isRecord(result.scores) || !isRecord(result.top)) throw new ContractError(`response results[${i}] lacks scores or top`);
      for (const label of model.labels as unknown[]) {
        if (typeof label !== 'string' || typeof result.scores[label] !== 'number') throw new ContractError(`response results[${i}] has no score for label ${String(label)}`);
      }
    } else if (result.status === 'failed') {
      if (typeof result.code !== 'string' || typeof result.message !== 'string') throw new ContractError(`response results[${i}] failed without code and message`);
    } else {
      throw new ContractError(`response results[${i}].status is ${JSON.stringify(result.status)}`);
    }
  }
  if (wanted.size > 0) throw new ContractError(`response is missing ${wanted.size} of ${request.frames.length} frames`);
  const timing = payload.timing;
  if (!isRecord(timing) || typeof timing.coldStart !== 'boolean' || typeof timing.initMs !== 'number' || typeof timing.inferMs !== 'number') {
    throw new ContractError('response "timing" lacks coldStart, initMs or inferMs');
  }
  return payload as unknown as InvokeResponse;
}

export function parseWarmupResponse(payload: unknown): WarmupResponse {
  if (!isRecord(payload) || payload.warm !== true || typeof payload.coldStart !== 'boolean' || typeof payload.initMs !== 'number') {
    throw new ContractError('warm-up response lacks warm, coldStart or initMs');
  }
  return payload as unknown as WarmupResponse;
}

export function isErrorResponse(response: InvokeResponse | ErrorResponse): response is ErrorResponse {
  return 'error' in response;
}

/** Bytes of the JSON request for frames of these encoded sizes (base64 grows 4/3; `pixels` adds its size fields). */
export function requestBytes(imageBytes: readonly number[], idLength = 16): number {
  return 32 + imageBytes.reduce((sum, bytes) => sum + 4 * Math.ceil(bytes / 3) + idLength + 64, 0);
}

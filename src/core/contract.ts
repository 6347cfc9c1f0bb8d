/**
 * The wire contract between the CLI (or any caller) and the classifier Lambda.
 * One module, versioned, validated on both sides: the handler parses what it
 * receives with parseInvokeRequest, the CLI parses what comes back with
 * parseInvokeResponse / parseWarmupResponse. One file on purpose (342 lines): a
 * contract read in one place is one a reviewer can check; the sample kind, which only
 * the fleet's sampling uses, is contract-sample.ts.
 */
import { ContractError } from './errors.js';
import { isRecord, type ModelIdentity } from './model-manifest.js';
import type { Scores } from './results.js';
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

/**
 * DEADLINE: the invocation stopped short of its timeout before reaching this frame
 * (it answers with the frames it finished); the client sends the frame again.
 */
export type FrameFailureCode = 'INVALID_IMAGE' | 'INFERENCE_FAILED' | 'DEADLINE';

/** Per-frame codes that mean "send this frame again", not "this frame is bad". */
export const RETRYABLE_FRAME_CODES: ReadonlySet<string> = new Set(['DEADLINE']);

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

/**
 * Why the handler refused a whole request. SAMPLING_UNAVAILABLE: this function does not
 * sample videos (no VIDEO_URI_PREFIXES, or no ffmpeg); URI_NOT_ALLOWED: not under them.
 */
export type ErrorCode = 'INVALID_REQUEST' | 'MODEL_UNAVAILABLE' | 'INTERNAL' | 'SAMPLING_UNAVAILABLE' | 'URI_NOT_ALLOWED';

/** What the handler returns for a request it cannot accept (it never throws for bad input). */
export interface ErrorResponse {
  readonly v: number;
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export interface WarmupResponse {
  readonly warm: true;
  readonly coldStart: boolean;
  readonly initMs: number;
  readonly model?: ModelIdentity;
  /** The engine the function runs ("onnxruntime 1.30.0 (cpu, 1 thread)", "tfjs-wasm"). */
  readonly engine?: string;
  /** Whether it samples S3 videos itself (the `sample` request kind), under which prefixes, or why not. */
  readonly sampling?: SamplingCapability;
}

export interface SamplingCapability {
  readonly available: boolean;
  readonly prefixes: readonly string[];
  readonly reason?: string;
  /** Which containers' GOP jobs it decodes (contract-sample.ts JOB_CONTAINERS); absent: MP4 only. */
  readonly containers?: readonly string[];
  /** Which containers' span jobs it indexes itself (contract-sample.ts SPAN_CONTAINERS); absent: none (no span jobs). */
  readonly spans?: readonly string[];
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

/*
 * The response side: every field the CLI reads is checked here, and the parsers
 * return objects built from the checked values, so nothing unvalidated leaks
 * into a report. Messages name the field: `response "model.input.width" is not
 * a positive integer`.
 */

const ERROR_CODES: readonly ErrorCode[] = ['INVALID_REQUEST', 'MODEL_UNAVAILABLE', 'INTERNAL', 'SAMPLING_UNAVAILABLE', 'URI_NOT_ALLOWED'];

/** Throws a ContractError naming the field of `subject` (`response`, `warm-up response`). */
export type Reject = (field: string, problem: string) => never;

export function rejecter(subject: string): Reject {
  return (field, problem) => {
    throw new ContractError(`${subject} "${field}" ${problem}`);
  };
}

/** Validates a batch response against the request it answers. */
export function parseInvokeResponse(payload: unknown, request: InvokeRequest): InvokeResponse | ErrorResponse {
  if (!isRecord(payload)) throw new ContractError('response is not a JSON object');
  // A response answers in its request's version.
  if (payload.v !== request.v) throw new ContractError(`response "v" is ${preview(payload.v)}, expected ${request.v} (the request's)`);
  const reject: Reject = rejecter('response');
  if (payload.error !== undefined) return errorBody(payload.error, request.v, reject);
  const model = parseModelIdentity(payload.model, 'response');
  return { v: request.v, model, results: frameResults(payload.results, model.labels, request.frames.map((frame) => frame.id), reject), timing: invokeTiming(payload.timing, reject) };
}

/** The handler's {v, error} answer (to a batch or a warm-up), or undefined when the payload is not one. */
export function parseErrorResponse(payload: unknown, subject = 'response'): ErrorResponse | undefined {
  if (!isRecord(payload) || payload.error === undefined) return undefined;
  // Not an answer to a versioned request (a warm-up): any version this contract knows.
  const v = ACCEPTED_REQUEST_VERSIONS.find((known) => known === payload.v);
  if (v === undefined) throw new ContractError(`${subject} "v" is ${preview(payload.v)}, expected one of ${ACCEPTED_REQUEST_VERSIONS.join(', ')}`);
  return errorBody(payload.error, v, rejecter(subject));
}

export function parseWarmupResponse(payload: unknown): WarmupResponse {
  if (!isRecord(payload)) throw new ContractError('warm-up response is not a JSON object');
  const reject: Reject = rejecter('warm-up response');
  if (payload.warm !== true) reject('warm', `is ${preview(payload.warm)}, not true`);
  if (typeof payload.coldStart !== 'boolean') reject('coldStart', 'is not true or false');
  const initMs = duration(payload.initMs, 'initMs', reject);
  // The model is optional on the wire (the caller says what its absence means); when present it is checked in full.
  const model = payload.model === undefined ? {} : { model: parseModelIdentity(payload.model, 'warm-up response') };
  if (payload.engine !== undefined && typeof payload.engine !== 'string') reject('engine', 'is not a string');
  const engine = typeof payload.engine === 'string' ? { engine: payload.engine } : {};
  return { warm: true, coldStart: payload.coldStart, initMs, ...model, ...engine, ...samplingOf(payload.sampling, reject) };
}

function samplingOf(value: unknown, reject: Reject): { sampling?: SamplingCapability } {
  if (value === undefined) return {};
  if (!isRecord(value)) return reject('sampling', 'is not an object');
  if (typeof value.available !== 'boolean') reject('sampling.available', 'is not true or false');
  if (!Array.isArray(value.prefixes) || !value.prefixes.every((prefix) => typeof prefix === 'string')) return reject('sampling.prefixes', 'is not a list of strings');
  if (value.reason !== undefined && typeof value.reason !== 'string') reject('sampling.reason', 'is not a string');
  for (const name of ['containers', 'spans'] as const) {
    const list = value[name];
    if (list !== undefined && !(Array.isArray(list) && list.every((entry) => typeof entry === 'string'))) reject(`sampling.${name}`, 'is not a list of strings');
  }
  return {
    sampling: {
      available: value.available as boolean, prefixes: [...value.prefixes as string[]], ...(typeof value.reason === 'string' ? { reason: value.reason } : {}),
      ...(Array.isArray(value.containers) ? { containers: [...value.containers as string[]] } : {}),
      ...(Array.isArray(value.spans) ? { spans: [...value.spans as string[]] } : {}),
    },
  };
}

/** What the Function URL / API Gateway front door answers for one image with HTTP 200. */
export interface ImageResponse {
  readonly model: ModelIdentity;
  readonly scores: Scores;
  readonly top: { readonly label: string; readonly score: number };
  readonly timing: InvokeTiming;
}

export function parseImageResponse(payload: unknown): ImageResponse {
  if (!isRecord(payload)) throw new ContractError('Function URL response is not a JSON object');
  const reject: Reject = rejecter('Function URL response');
  const model = parseModelIdentity(payload.model, 'Function URL response');
  return { model, scores: scoresOf(payload.scores, model.labels, '', reject), top: topOf(payload.top, model.labels, '', reject), timing: invokeTiming(payload.timing, reject) };
}

/** The model a function says it runs: name, version, sha256, labels and input size, as both responses carry it. */
export function parseModelIdentity(value: unknown, subject = 'response'): ModelIdentity {
  const reject: Reject = rejecter(subject);
  if (!isRecord(value)) return reject('model', 'is not an object');
  if (typeof value.name !== 'string' || value.name === '') reject('model.name', 'is not a non-empty string');
  if (typeof value.version !== 'string') reject('model.version', 'is not a string');
  if (typeof value.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(value.sha256)) reject('model.sha256', 'is not a sha256 hex digest');
  const labels = value.labels;
  if (!Array.isArray(labels)) return reject('model.labels', 'is not a list');
  if (labels.length === 0) reject('model.labels', 'is empty');
  const seen = new Set<string>();
  labels.forEach((label: unknown, i) => {
    if (typeof label !== 'string') reject(`model.labels[${i}]`, 'is not a string');
    if (seen.has(label)) reject(`model.labels[${i}]`, `(${preview(label)}) is repeated`);
    seen.add(label);
  });
  const input = value.input;
  if (!isRecord(input)) return reject('model.input', 'is not an object');
  if (!isPositiveInteger(input.width)) reject('model.input.width', 'is not a positive integer');
  if (!isPositiveInteger(input.height)) reject('model.input.height', 'is not a positive integer');
  return { name: value.name, version: value.version, sha256: value.sha256, labels: [...seen], input: { width: input.width, height: input.height } };
}

export function errorBody(error: unknown, v: number, reject: Reject): ErrorResponse {
  if (!isRecord(error)) return reject('error', 'is not an object');
  const code = ERROR_CODES.find((known) => known === error.code);
  if (code === undefined) return reject('error.code', `is ${preview(error.code)}, not one of ${ERROR_CODES.join(', ')}`);
  if (typeof error.message !== 'string') reject('error.message', 'is not a string');
  return { v, error: { code, message: error.message } };
}

/**
 * One result per requested frame: no extra, repeated or missing ids; ok results score
 * every label. `extra` checks and returns a request kind's own fields of each result.
 */
export function frameResults<Extra extends object = object>(
  value: unknown, labels: readonly string[], ids: readonly string[], reject: Reject,
  extra: (result: Record<string, unknown>, field: string, ok: boolean) => Extra = () => ({}) as Extra,
): Array<FrameResultWire & Extra> {
  if (!Array.isArray(value)) return reject('results', 'is not a list');
  const requested = new Set(ids);
  const answered = new Set<string>();
  const results = value.map((result: unknown, i): FrameResultWire & Extra => {
    const field = `results[${i}]`;
    if (!isRecord(result)) return reject(field, 'is not an object');
    const id = result.id;
    if (typeof id !== 'string') return reject(`${field}.id`, 'is not a string');
    if (!requested.has(id)) reject(`${field}.id`, `(${preview(id)}) was not requested`);
    if (answered.has(id)) reject(`${field}.id`, `(${preview(id)}) is repeated`);
    answered.add(id);
    if (result.status === 'ok') return { id, status: 'ok', scores: scoresOf(result.scores, labels, `${field}.`, reject), top: topOf(result.top, labels, `${field}.`, reject), ...extra(result, field, true) };
    if (result.status === 'failed') {
      if (typeof result.code !== 'string') reject(`${field}.code`, 'is not a string');
      if (typeof result.message !== 'string') reject(`${field}.message`, 'is not a string');
      return { id, status: 'failed', code: result.code, message: result.message, ...extra(result, field, false) };
    }
    return reject(`${field}.status`, `is ${preview(result.status)}, not "ok" or "failed"`);
  });
  const missing = [...requested].filter((id) => !answered.has(id));
  if (missing.length > 0) reject('results', `is missing ${missing.length} of ${requested.size} frames (${missing.slice(0, 3).map(preview).join(', ')})`);
  return results;
}

/** Exactly the model's labels, each a finite number; any other key in the answer is dropped. */
function scoresOf(value: unknown, labels: readonly string[], prefix: string, reject: Reject): Scores {
  if (!isRecord(value)) return reject(`${prefix}scores`, 'is not an object');
  return Object.fromEntries(labels.map((label) => {
    const score = Object.hasOwn(value, label) ? value[label] : undefined;
    if (!isFiniteNumber(score)) return reject(`${prefix}scores.${label}`, 'is not a finite number');
    return [label, score];
  }));
}

function topOf(value: unknown, labels: readonly string[], prefix: string, reject: Reject): { label: string; score: number } {
  if (!isRecord(value)) return reject(`${prefix}top`, 'is not an object');
  const label = labels.find((known) => known === value.label);
  if (label === undefined) return reject(`${prefix}top.label`, `(${preview(value.label)}) is not one of the model's labels`);
  if (!isFiniteNumber(value.score)) return reject(`${prefix}top.score`, 'is not a finite number');
  return { label, score: value.score };
}

export function invokeTiming(value: unknown, reject: Reject): InvokeTiming {
  if (!isRecord(value)) return reject('timing', 'is not an object');
  if (typeof value.coldStart !== 'boolean') reject('timing.coldStart', 'is not true or false');
  return { coldStart: value.coldStart, initMs: duration(value.initMs, 'timing.initMs', reject), inferMs: duration(value.inferMs, 'timing.inferMs', reject) };
}

export function duration(value: unknown, field: string, reject: Reject): number {
  if (!isFiniteNumber(value) || value < 0) return reject(field, 'is not a non-negative number of milliseconds');
  return value;
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** A short rendering of a value for a message: a wrong answer can be anything, of any size. */
export function preview(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isErrorResponse(response: InvokeResponse | ErrorResponse): response is ErrorResponse {
  return 'error' in response;
}

/** Bytes of the JSON request for frames of these encoded sizes (base64 grows 4/3; `pixels` adds its size fields). */
export function requestBytes(imageBytes: readonly number[], idLength = 16): number {
  return 32 + imageBytes.reduce((sum, bytes) => sum + 4 * Math.ceil(bytes / 3) + idLength + 64, 0);
}

/**
 * One image over HTTP (Function URL, HTTP API, REST API). Answers
 * 200 {model, scores, top, timing} or {error: {code, message}} with a 4xx/5xx.
 */
import { HTTP_ERROR_CODES, HttpRequestError, ModelUnavailableError, type HttpErrorCode } from './errors.js';
import { jsonResponse, type HttpRequest, type HttpResponse } from './http-event.js';
import { fitFromQuery, imageFromRequest } from './http-image.js';
import type { FitMode } from '../core/preprocess.js';
import { roundMs } from './log.js';
import type { Outcome } from './batch.js';
import type { Acquired, ModelRuntime } from './runtime.js';

export async function handleHttp(request: HttpRequest, runtime: ModelRuntime): Promise<Outcome<HttpResponse>> {
  let image: Uint8Array;
  let fit: FitMode;
  try {
    image = imageFromRequest(request);
    fit = fitFromQuery(request);
  } catch (error) {
    if (!(error instanceof HttpRequestError)) throw error;
    return httpError(error.code, error.message, 0, error.status === 405 ? { allow: 'POST' } : {});
  }
  let acquired: Acquired;
  try {
    acquired = await runtime.acquire();
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    return httpError('MODEL_UNAVAILABLE', error.message, 1);
  }
  const { model, coldStart, initMs } = acquired;
  const started = performance.now();
  const [result] = await model.classifier.classify([image], fit);
  const inferMs = roundMs(performance.now() - started);
  if (result === undefined || result.status === 'failed') {
    return httpError('INVALID_IMAGE', result?.message ?? 'no result', 1, {}, { coldStart, initMs, inferMs });
  }
  const body = { model: model.classifier.identity, scores: result.scores, top: result.top, timing: { coldStart, initMs, inferMs } };
  return { response: jsonResponse(200, body), stats: { frames: 1, ok: 1, failed: 0, inferMs, coldStart, initMs, status: 200 } };
}

export function httpError(
  code: HttpErrorCode,
  message: string,
  frames: number,
  headers: Record<string, string> = {},
  timing: { coldStart?: boolean; initMs?: number; inferMs: number } = { inferMs: 0 },
): Outcome<HttpResponse> {
  const status = HTTP_ERROR_CODES[code];
  return {
    response: jsonResponse(status, { error: { code, message } }, headers),
    stats: { frames, ok: 0, failed: frames, ...timing, status, error: { code, message } },
  };
}

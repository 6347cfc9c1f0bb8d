/**
 * Gets the image out of an HTTP request body. Accepted: raw JPEG/PNG bytes
 * (isBase64Encoded: true, as API Gateway and Function URLs deliver binary),
 * base64 text (optionally a data: URL), or JSON {"image": "<base64>"}.
 */
import { sniffImage } from '../core/image-decode.js';
import { imageHeaderProblem } from '../core/image-header.js';
import { FIT_MODES, type FitMode } from '../core/preprocess.js';
import { isRecord } from '../core/model-manifest.js';
import { decodeBase64, decodedLength, looksLikeBase64 } from './base64.js';
import { Base64Error, HttpRequestError } from './errors.js';
import type { HttpRequest } from './http-event.js';

/**
 * Largest image accepted over HTTP, in bytes after decoding. Lambda takes at
 * most 6 MB per request and proxies base64-encode binary bodies (×4/3), so
 * about 4.5 MB is the real ceiling; 4 MiB keeps a margin.
 */
export const MAX_HTTP_IMAGE_BYTES = 4 * 1024 * 1024;
const MAX_BODY_CHARS = Math.ceil((MAX_HTTP_IMAGE_BYTES * 4) / 3) + 4096;
const DATA_URL = /^data:image\/[a-z.+-]+;base64,/i;
const USAGE = 'POST a JPEG or PNG (binary), its base64 text, or JSON {"image": "<base64>"}';

export function imageFromRequest(request: HttpRequest): Uint8Array {
  if (request.method !== 'POST') throw new HttpRequestError(405, 'METHOD_NOT_ALLOWED', `method ${request.method} is not allowed; ${USAGE}`);
  const body = request.body ?? '';
  if (body.length === 0) throw new HttpRequestError(400, 'INVALID_REQUEST', `request body is empty; ${USAGE}`);
  if (body.length > MAX_BODY_CHARS) throw tooLarge(request.isBase64Encoded ? decodedLength(body) : body.length);
  const raw = request.isBase64Encoded ? decode(body, 'INVALID_REQUEST', 'body marked isBase64Encoded') : new TextEncoder().encode(body);
  if (sniffImage(raw) !== undefined) return withinLimit(raw);

  const text = new TextDecoder().decode(raw).trim();
  const contentType = request.headers['content-type'] ?? '';
  let encoded: string;
  if (contentType.includes('json') || text.startsWith('{')) {
    encoded = jsonImage(text);
  } else if (looksLikeBase64(text.replace(DATA_URL, ''))) {
    encoded = text.replace(DATA_URL, '');
  } else {
    throw new HttpRequestError(400, 'INVALID_IMAGE', `request body is not a JPEG or PNG image; ${USAGE}`);
  }
  if (decodedLength(encoded) > MAX_HTTP_IMAGE_BYTES + 3) throw tooLarge(decodedLength(encoded));
  return withinLimit(decode(encoded, 'INVALID_IMAGE', 'image'));
}

/**
 * `?fit=crop|stretch`: how an image not at the model's size is fitted; crop by
 * default, as the CLI's --fit, so the same bytes get the same scores both ways.
 */
export function fitFromQuery(request: HttpRequest): FitMode {
  const fit = request.query.fit;
  if (fit === undefined) return 'crop';
  if (!FIT_MODES.includes(fit as FitMode)) throw new HttpRequestError(400, 'INVALID_REQUEST', `query "fit" must be ${FIT_MODES.join(' or ')} (got "${fit}")`);
  return fit as FitMode;
}

function jsonImage(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpRequestError(400, 'INVALID_REQUEST', `request body is not valid JSON; ${USAGE}`);
  }
  if (!isRecord(parsed) || typeof parsed.image !== 'string') {
    throw new HttpRequestError(400, 'INVALID_REQUEST', 'JSON body needs an "image" field holding a base64 JPEG or PNG');
  }
  return parsed.image.replace(DATA_URL, '');
}

function decode(text: string, code: 'INVALID_IMAGE' | 'INVALID_REQUEST', what: string): Uint8Array {
  try {
    return decodeBase64(text);
  } catch (error) {
    if (error instanceof Base64Error) throw new HttpRequestError(400, code, `${what} is ${error.message}`, { cause: error });
    throw error;
  }
}

function withinLimit(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength > MAX_HTTP_IMAGE_BYTES) throw tooLarge(bytes.byteLength);
  // Refused from its header, before the model is even acquired: a few bytes can declare gigapixels.
  const problem = sniffImage(bytes) === undefined ? undefined : imageHeaderProblem(bytes);
  if (problem !== undefined) throw new HttpRequestError(400, 'INVALID_IMAGE', `image refused before decoding: ${problem}`);
  return bytes;
}

function tooLarge(bytes: number): HttpRequestError {
  return new HttpRequestError(413, 'PAYLOAD_TOO_LARGE', `image is about ${(bytes / 1048576).toFixed(1)} MiB; the limit is ${MAX_HTTP_IMAGE_BYTES / 1048576} MiB`);
}

/**
 * The three HTTP proxy event shapes the function can sit behind, reduced to one
 * request type: API Gateway REST (payload 1.0), HTTP API (payload 2.0) and
 * Lambda Function URLs (2.0 shape, lambda-url domain).
 */
import { isRecord } from '../core/model-manifest.js';

export type HttpEventFormat = 'rest-v1' | 'http-v2' | 'function-url';

export interface HttpRequest {
  readonly format: HttpEventFormat;
  readonly method: string;
  readonly path: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** Query string parameters (the last value of a repeated one). */
  readonly query: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
}

/** What every proxy integration accepts as a response (payload 1.0 and 2.0 alike). */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

/** The request, or undefined when the event is not an HTTP proxy event. */
export function parseHttpEvent(event: Record<string, unknown>): HttpRequest | undefined {
  const context = event.requestContext;
  if (!isRecord(context)) return undefined;
  const common = {
    headers: lowerCaseHeaders(event.headers),
    query: stringValues(event.queryStringParameters),
    body: typeof event.body === 'string' ? event.body : undefined,
    isBase64Encoded: event.isBase64Encoded === true,
  };
  if (event.version === '2.0' && isRecord(context.http) && typeof context.http.method === 'string') {
    const domain = typeof context.domainName === 'string' ? context.domainName : '';
    return {
      format: domain.includes('.lambda-url.') ? 'function-url' : 'http-v2',
      method: context.http.method.toUpperCase(),
      path: typeof event.rawPath === 'string' ? event.rawPath : '/',
      ...common,
    };
  }
  if (typeof event.httpMethod === 'string') {
    return { format: 'rest-v1', method: event.httpMethod.toUpperCase(), path: typeof event.path === 'string' ? event.path : '/', ...common };
  }
  return undefined;
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

function lowerCaseHeaders(headers: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(stringValues(headers)).map(([name, value]) => [name.toLowerCase(), value]));
}

function stringValues(record: unknown): Record<string, string> {
  if (!isRecord(record)) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(record)) {
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/**
 * Errors raised at the Lambda edge. The handler never lets one escape: each maps
 * to a JSON error body (direct invoke) or an HTTP status (proxy events).
 */

/** An environment variable is missing or malformed; the message names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The model could not be loaded (download, checksum, backend); the cause says why. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** An HTTP request the function refuses, with the status and code to answer with. */
export class HttpRequestError extends Error {
  override name = 'HttpRequestError';
  readonly status: number;
  readonly code: HttpErrorCode;
  constructor(status: number, code: HttpErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

export const HTTP_ERROR_CODES = {
  METHOD_NOT_ALLOWED: 405,
  INVALID_IMAGE: 400,
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  MODEL_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERROR_CODES;

/** A base64 string is not valid base64. */
export class Base64Error extends Error {
  override name = 'Base64Error';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

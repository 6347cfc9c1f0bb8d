/**
 * Decides what an invocation failure means: retry it (throttle, service fault,
 * network, transient function error), fail the frames (the function rejected
 * them), or stop the run (the function cannot be used at all).
 */
import { isRecord } from '../../core/model-manifest.js';

export const FAILURE_KIND = {
  /** Back off harder and lower the concurrency: the account or function is at its limit. */
  throttle: 'throttle',
  /** Retry with backoff: 5xx, resets, timeouts, crashed or timed-out environments. */
  transient: 'transient',
  /** Retrying cannot help this batch; its frames fail with this cause. */
  permanent: 'permanent',
  /** Retrying cannot help any batch: stop the run and name the function. */
  fatal: 'fatal',
} as const;

export type FailureKind = (typeof FAILURE_KIND)[keyof typeof FAILURE_KIND];

export interface InvokeFailure {
  readonly kind: FailureKind;
  readonly code: string;
  readonly message: string;
  readonly retryAfterMs?: number;
}

const THROTTLES = new Set(['TooManyRequestsException', 'EC2ThrottledException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'SlowDown']);
const TRANSIENT_SERVICE = new Set([
  'ServiceException', 'EC2UnexpectedException', 'ENILimitReachedException', 'SubnetIPAddressLimitReachedException', 'ResourceNotReadyException',
  'ResourceConflictException', 'SnapStartTimeoutException', 'SnapStartNotReadyException', 'InternalFailure', 'ServiceUnavailable', 'RequestTimeout',
  'RequestTimeoutException', 'TimeoutError', 'AbortError', 'RequestAbortedError',
]);
const FATAL = new Set([
  'ResourceNotFoundException', 'AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException',
  'CredentialsProviderError', 'KMSAccessDeniedException', 'KMSDisabledException', 'KMSNotFoundException', 'InvalidRuntimeException',
  'InvalidZipFileException', 'EFSMountFailureException', 'InvalidSecurityGroupIDException', 'InvalidSubnetIDException', 'UnsupportedMediaTypeException',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/** An exception thrown by LambdaClient.send (service error or network failure). */
export function classifyInvokeError(error: unknown): InvokeFailure {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const status = isRecord(error) && isRecord(error.$metadata) && typeof error.$metadata.httpStatusCode === 'number' ? error.$metadata.httpStatusCode : undefined;
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
  const retryAfter = isRecord(error) && typeof error.retryAfterSeconds === 'string' ? Number(error.retryAfterSeconds) * 1000 : undefined;
  const retryAfterMs = retryAfter !== undefined && Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter } : {};
  if (THROTTLES.has(name) || status === 429) return { kind: 'throttle', code: name, message, ...retryAfterMs };
  if (/Region is missing/i.test(message)) return { kind: 'fatal', code: 'RegionMissing', message: 'no AWS region (use --region, AWS_REGION, a profile with a region, or a function ARN)' };
  if (name === 'CredentialsProviderError') return { kind: 'fatal', code: name, message: `${message} (use --profile, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)` };
  if (FATAL.has(name) || status === 401 || status === 403) return { kind: 'fatal', code: name, message };
  if (code !== undefined && NETWORK_CODES.has(code)) return { kind: 'transient', code, message };
  if (TRANSIENT_SERVICE.has(name) || (status !== undefined && status >= 500)) return { kind: 'transient', code: name, message };
  // The SDK reports a body it cannot parse (a proxy's HTML page, a cut-off response) as a deserialization error.
  if (/deserializ|Unexpected end of JSON|socket hang up|timed? ?out/i.test(message)) return { kind: 'transient', code: name, message };
  if (status === 413 || name === 'RequestTooLargeException') return { kind: 'permanent', code: 'RequestTooLargeException', message };
  if (status !== undefined && status >= 400) return { kind: 'permanent', code: name, message };
  return { kind: 'transient', code: name, message };
}

/** Error types the Lambda runtime reports for an environment that died or ran out of time or memory. */
const TRANSIENT_FUNCTION_ERRORS = /^(Runtime\.(ExitError|OutOfMemory|Unknown|InitError|CallbackRuntime)|Sandbox\.Timedout|Function\.ResponseSizeTooLarge__never)$/;
const TRANSIENT_FUNCTION_MESSAGES = /timed out|timeout|out of memory|exited|signal: killed|Runtime exited/i;

/**
 * A response with X-Amz-Function-Error set (HTTP 200 all the same). The payload
 * is the runtime's {errorType, errorMessage}. Crashes, timeouts and OOM are worth
 * another environment; anything else the handler threw is the frames' problem.
 */
export function classifyFunctionError(functionError: string, payload: unknown): InvokeFailure {
  const errorType = isRecord(payload) && typeof payload.errorType === 'string' ? payload.errorType : functionError;
  const errorMessage = isRecord(payload) && typeof payload.errorMessage === 'string' ? payload.errorMessage : 'the function failed without a message';
  const code = `FunctionError.${errorType}`;
  if (TRANSIENT_FUNCTION_ERRORS.test(errorType) || TRANSIENT_FUNCTION_MESSAGES.test(errorMessage)) return { kind: 'transient', code, message: errorMessage };
  return { kind: 'permanent', code, message: errorMessage };
}

/** The handler's own error body ({v, error}) for a batch it could not take. */
export function classifyErrorResponse(error: { code: string; message: string }): InvokeFailure {
  // MODEL_UNAVAILABLE is usually an S3 hiccup during a cold start; another try may land on a healthy environment.
  const kind = error.code === 'MODEL_UNAVAILABLE' || error.code === 'INTERNAL' ? 'transient' : 'permanent';
  return { kind, code: error.code, message: error.message };
}

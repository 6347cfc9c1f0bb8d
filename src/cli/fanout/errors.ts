/** Errors raised while fanning frames out to Lambda. main.ts maps UsageError subclasses to exit 2. */
import { UsageError } from '../errors.js';

/**
 * The function itself cannot be used (unknown, access denied, bad credentials or
 * region, warm-up answers that break the contract): no frame can succeed, so the
 * run stops at once with a message naming it.
 */
export class FunctionUnavailableError extends UsageError {
  override name = 'FunctionUnavailableError';
  readonly code: string;
  constructor(functionName: string, code: string, message: string, options?: ErrorOptions) {
    super(`Lambda function "${functionName}": ${code}: ${message}`, options);
    this.code = code;
  }
}

/** The Lambda endpoint, region or credentials are not configured. */
export class LambdaConfigError extends UsageError {
  override name = 'LambdaConfigError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

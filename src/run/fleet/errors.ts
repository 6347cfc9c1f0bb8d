/**
 * Errors raised while fanning frames out to the function fleet. The CLI's
 * main.ts maps them to exit 2 (they name something the user configured);
 * a library caller catches them by class.
 */

/**
 * The function itself cannot be used (unknown, access denied, bad credentials or
 * region, warm-up answers that break the contract): no frame can succeed, so the
 * run stops at once with a message naming it.
 */
export class FunctionUnavailableError extends Error {
  override name = 'FunctionUnavailableError';
  readonly code: string;
  constructor(functionName: string, code: string, message: string, options?: ErrorOptions) {
    super(`Lambda function "${functionName}": ${code}: ${message}`, options);
    this.code = code;
  }
}

/** The Lambda endpoint, region or credentials are not configured, or the function cannot do what was asked of it. */
export class LambdaConfigError extends Error {
  override name = 'LambdaConfigError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

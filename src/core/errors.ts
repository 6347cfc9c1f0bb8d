/**
 * Errors raised by the shared core. Each maps to something a person can act on:
 * the CLI turns them into one line on stderr and an exit code, the Lambda into a
 * JSON error body or a failed frame.
 */

/** Something the user supplied (an option value, a time, a file) is wrong. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A model directory or manifest is missing, malformed or fails its checksum. */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A frame's bytes are not an image we can decode. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A request or response on the CLI/Lambda wire does not match the contract. */
export class ContractError extends Error {
  override name = 'ContractError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Errors raised by the run engine; the CLI's main.ts maps them to exit codes, a library caller catches them by class. */

/** No inference engine can run the model here (--backend, ONNX Runtime or TF.js unavailable). */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A library caller passed an option framescore cannot use (the CLI's UsageError, for programs). */
export class OptionError extends Error {
  override name = 'OptionError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

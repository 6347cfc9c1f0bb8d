/** Errors raised at the CLI's edges (subprocesses, usage). main.ts maps them to exit codes. */

/** The command line itself is wrong: unknown option value, conflicting options. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

// Raised by the shared media module (ffmpeg and ffprobe run on both sides); main.ts maps them too.
export { BinaryNotFoundError, SubprocessError } from '../media/errors.js';

// Raised by the run engine (local scoring); main.ts maps it too.
export { BackendUnavailableError } from '../run/errors.js';

/** The user pressed Ctrl-C. Exit 130 after the partial report is written. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(message = 'interrupted', options?: ErrorOptions) {
    super(message, options);
  }
}

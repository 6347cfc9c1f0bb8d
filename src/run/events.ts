/**
 * How the run engine talks to whoever runs it: injected callbacks, never
 * stdout/stderr. The CLI formats them for a terminal (cli/output/messages.ts,
 * cli/output/progress.ts); a library caller may log them, count them or ignore them.
 */

/** People's messages about a run, one line each, naming the input. */
export interface Messages {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Details (the CLI shows them only with --verbose). */
  debug(message: string): void;
}

/** Progress of one run: frames sampled and finished. */
export interface Progress {
  begin(label: string, total: number): void;
  sampled(): void;
  classified(failed: boolean): void;
  end(): void;
}

export const SILENT_MESSAGES: Messages = { info() {}, warn() {}, error() {}, debug() {} };
export const NO_PROGRESS: Progress = { begin() {}, sampled() {}, classified() {}, end() {} };

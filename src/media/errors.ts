/** Errors of the media module's subprocesses (ffmpeg, ffprobe), on the CLI and in the function alike. */

/** A required program (ffmpeg, ffprobe) could not be found or started. Exit 2. */
export class BinaryNotFoundError extends Error {
  override name = 'BinaryNotFoundError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A subprocess failed: says the command, exit code, signal, timeout and the tail of stderr. */
export class SubprocessError extends Error {
  override name = 'SubprocessError';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stderrTail: string;

  constructor(
    message: string,
    details: { exitCode: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stderrTail: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.timedOut = details.timedOut;
    this.stderrTail = details.stderrTail;
  }

  /** The last meaningful line ffmpeg printed, which usually names the real problem. */
  get lastLine(): string {
    // Not -debug_ts's per-packet lines (keyframe decodes ask for them).
    const lines = this.stderrTail.split('\n').map((line) => line.trim()).filter((line) => line.length > 0 && !/^(demuxer|decoder|filter|encoder|muxer)\S* (->|<-) /.test(line));
    return lines[lines.length - 1] ?? '';
  }
}

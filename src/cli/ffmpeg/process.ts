import { spawn } from 'node:child_process';
import path from 'node:path';
import { BinaryNotFoundError, SubprocessError } from '../errors.js';

export interface RunOptions {
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called with each complete stderr line (ffmpeg's showinfo and metadata output). */
  readonly onStderrLine?: ((line: string) => void) | undefined;
}

export interface RunResult {
  readonly stdout: Buffer;
  readonly stderrTail: string;
}

const STDERR_TAIL_BYTES = 4096;

/**
 * Runs a program with an argument array (never a shell), collecting stdout in
 * memory. The one place framescore starts subprocesses: its errors name the
 * command, exit code, signal, timeout and the tail of stderr.
 */
export function runProcess(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const name = path.basename(file);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new SubprocessError(`${name} was not started: cancelled`, { exitCode: null, signal: null, timedOut: false, stderrTail: '' }));
      return;
    }
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let tail = '';
    let partial = '';
    let timedOut = false;
    const timer = options.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs) : undefined;
    const onAbort = (): void => { child.kill('SIGKILL'); };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      tail = (tail + text).slice(-STDERR_TAIL_BYTES);
      if (options.onStderrLine) {
        const lines = (partial + text).split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        for (const line of lines) options.onStderrLine(line);
      }
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT') reject(new BinaryNotFoundError(`${name} not found at "${file}"`, { cause: error }));
      else reject(new SubprocessError(`${name} could not be started: ${error.message}`, { exitCode: null, signal: null, timedOut: false, stderrTail: '' }, { cause: error }));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (partial && options.onStderrLine) options.onStderrLine(partial);
      if (exitCode === 0) {
        resolve({ stdout: Buffer.concat(chunks), stderrTail: tail });
        return;
      }
      const why = timedOut ? `timed out after ${options.timeoutMs} ms` : options.signal?.aborted ? 'cancelled' : signal ? `killed by ${signal}` : `exited with code ${exitCode}`;
      const error = new SubprocessError(`${name} ${why}`, { exitCode, signal, timedOut, stderrTail: tail });
      reject(error);
    });
  });
}

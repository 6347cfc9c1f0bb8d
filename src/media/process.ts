import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { BinaryNotFoundError, SubprocessError } from './errors.js';

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

/** A process that runs while framescore writes to its stdin and reads its stdout as it comes. */
export interface StreamingProcess {
  readonly stdin: Writable;
  /** Settles when the process exits: resolves on exit code 0, rejects with a SubprocessError otherwise. */
  readonly exited: Promise<void>;
  kill(): void;
  /** Stops reading stdout (the process blocks once the pipe fills) until resumed: back-pressure. */
  pauseOutput(): void;
  resumeOutput(): void;
}

export interface StreamOptions extends Omit<RunOptions, 'timeoutMs'> {
  readonly onStdout: (chunk: Buffer) => void;
}

const STDERR_TAIL_BYTES = 4096;

/**
 * Runs a program with an argument array (never a shell), collecting stdout in
 * memory. With `streamProcess`, the one place framescore starts subprocesses: their
 * errors name the command, exit code, signal, timeout and the tail of stderr.
 */
export async function runProcess(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const chunks: Buffer[] = [];
  const started = start(file, args, 'ignore', options, (chunk) => chunks.push(chunk));
  const stderrTail = await started.exited;
  return { stdout: Buffer.concat(chunks), stderrTail };
}

/** Starts a program whose stdin framescore feeds and whose stdout is handed over chunk by chunk. */
export function streamProcess(file: string, args: readonly string[], options: StreamOptions): StreamingProcess {
  if (options.signal?.aborted) throw cancelledBeforeStart(file);
  const started = start(file, args, 'pipe', options, options.onStdout);
  if (started.stdin === null) throw new Error('a piped stdin was asked for');
  return { stdin: started.stdin, exited: started.exited.then(() => undefined), kill: started.kill, pauseOutput: started.pause, resumeOutput: started.resume };
}

/**
 * The environment ffmpeg and ffprobe run with. The static builds on npm (and in the
 * function's layer) carry their own glibc but load the system's iconv modules from
 * GCONV_PATH's default: the 2019+ ffprobe builds then segfault on every MPEG-TS (its
 * demuxer converts DVB service names). With no modules to load, iconv falls back to
 * its built-in UTF-8/Latin-1 tables and only those metadata names go unconverted,
 * which framescore never reads. A GCONV_PATH the user set is kept.
 */
export function mediaToolEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.GCONV_PATH === undefined ? { ...env, GCONV_PATH: '/nonexistent/framescore-no-gconv' } : env;
}

function cancelledBeforeStart(file: string): SubprocessError {
  return new SubprocessError(`${path.basename(file)} was not started: cancelled`, { exitCode: null, signal: null, timedOut: false, stderrTail: '' });
}

function start(file: string, args: readonly string[], stdin: 'ignore' | 'pipe', options: RunOptions, onStdout: (chunk: Buffer) => void): { stdin: Writable | null; exited: Promise<string>; kill: () => void; pause: () => void; resume: () => void } {
  const name = path.basename(file);
  if (options.signal?.aborted) return { stdin: null, kill: () => {}, pause: () => {}, resume: () => {}, exited: Promise.reject(cancelledBeforeStart(file)) };
  const child = spawn(file, args, { stdio: [stdin, 'pipe', 'pipe'], env: mediaToolEnv(process.env) });
  // A process that exits early closes its stdin: the writer learns it from `exited`, not from an EPIPE crash.
  child.stdin?.on('error', () => {});
  const exited = new Promise<string>((resolve, reject) => {
    let tail = '';
    let partial = '';
    let timedOut = false;
    const timer = options.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs) : undefined;
    const onAbort = (): void => { child.kill('SIGKILL'); };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout!.on('data', onStdout);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
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
        resolve(tail);
        return;
      }
      const why = timedOut ? `timed out after ${options.timeoutMs} ms` : options.signal?.aborted ? 'cancelled' : signal ? `killed by ${signal}` : `exited with code ${exitCode}`;
      reject(new SubprocessError(`${name} ${why}`, { exitCode, signal, timedOut, stderrTail: tail }));
    });
  });
  return { stdin: child.stdin, exited, kill: () => { child.kill('SIGKILL'); }, pause: () => { child.stdout!.pause(); }, resume: () => { child.stdout!.resume(); } };
}

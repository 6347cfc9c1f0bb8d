/** The one way tests run the real CLI: a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is dist/test/helpers/cli.js once built). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'framescore.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Added on top of the environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Start from this process's environment (plus CI=1); false starts from `env` alone. Default true. */
  readonly inheritEnv?: boolean;
  readonly cwd?: string;
  /** Send SIGINT once stderr contains this text (e.g. a progress line). */
  readonly interruptWhen?: string;
  /** Called once the process is running; may send it signals. */
  readonly onSpawn?: (child: ChildProcess) => void;
  /** Kill a hung run after this long (default 10 min, longer than any real run). */
  readonly timeoutMs?: number;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const base = options.inheritEnv === false ? {} : { ...process.env, CI: '1' };
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...base, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (options.interruptWhen && !interrupted && stderr.includes(options.interruptWhen)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    options.onSpawn?.(child);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `framescore-${prefix}-`));
}

/** Runs the framescore CLI as a subprocess, as a user would, with AWS settings for a local endpoint. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const sampleVideo = path.join(repoRoot, 'samples', 'sample.mp4');
export const modelDir = path.join(repoRoot, 'models', 'nsfw-mobilenet-v2');

/** The demo's sample video is generated, not committed: make it if this checkout has none yet. */
export async function ensureSampleVideo(): Promise<string> {
  const script = path.join(repoRoot, 'dist', 'scripts', 'make-sample-video.js');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--if-missing', sampleVideo], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`make-sample-video exited with ${code}`))));
  });
  return sampleVideo;
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Called once the process is running; may send it signals. */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** Credentials for the emulator and no shared AWS config, so the developer's own profile never leaks in. */
export const awsEnv = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_CONFIG_FILE: path.join(os.tmpdir(), 'framescore-no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'framescore-no-aws-credentials'),
  CI: '1',
};

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'framescore.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...awsEnv, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  options.onSpawn?.(child);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `framescore-${prefix}-`));
}

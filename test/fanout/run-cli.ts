/** Runs the framescore CLI as a subprocess, as a user would, with AWS settings for a local endpoint. */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../../src/media/process.js';

export { ROOT as repoRoot, tempDir, type CliResult as CliRun } from '../helpers/cli.js';
import { ROOT as repoRoot, runCli as runCliProcess, type CliResult as CliRun } from '../helpers/cli.js';
export const sampleVideo = path.join(repoRoot, 'samples', 'sample.mp4');
export const modelDir = path.join(repoRoot, 'models', 'nsfw-mobilenet-v2');

/** The demo's sample video is generated, not committed: make it if this checkout has none yet. */
export async function ensureSampleVideo(): Promise<string> {
  const script = path.join(repoRoot, 'dist', 'scripts', 'make-sample-video.js');
  await runProcess(process.execPath, [script, '--if-missing', sampleVideo], { timeoutMs: 120_000 });
  return sampleVideo;
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
  return runCliProcess(args, { env: { ...awsEnv, ...options.env }, onSpawn: options.onSpawn });
}

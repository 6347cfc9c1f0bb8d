/**
 * ffmpeg and ffprobe for tests, scripts and benchmarks: the binaries framescore
 * itself resolves (FFMPEG_PATH, PATH, then the npm static builds), run with the
 * environment the product gives them, so a machine with only what `npm ci`
 * installs can make every fixture.
 */
import { resolveBinaries } from '../../src/media/binaries.js';
import { runProcess, type RunResult } from '../../src/media/process.js';

/** The ffmpeg framescore resolves. */
export function ffmpegPath(): string {
  return resolveBinaries().ffmpeg;
}

/** The ffprobe framescore resolves. */
export function ffprobePath(): string {
  return resolveBinaries().ffprobe;
}

export interface FfmpegOptions {
  /** Kills ffmpeg after this long; generous by default, a fixture is seconds of work. */
  readonly timeoutMs?: number;
}

/** Runs the resolved ffmpeg with `-hide_banner -nostdin -loglevel error -y` and these arguments; rejects with the tail of stderr. */
export function runFfmpeg(args: readonly string[], options: FfmpegOptions = {}): Promise<RunResult> {
  return runProcess(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { timeoutMs: options.timeoutMs ?? 300_000 });
}

/** Runs the resolved ffprobe with these arguments (stdout in the result). */
export function runFfprobe(args: readonly string[], options: FfmpegOptions = {}): Promise<RunResult> {
  return runProcess(ffprobePath(), ['-hide_banner', ...args], { timeoutMs: options.timeoutMs ?? 120_000 });
}

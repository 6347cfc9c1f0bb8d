/** Runs the built CLI as a subprocess and makes small test videos with ffmpeg (shared by the report tests). */

export { ROOT as repoRoot, tempDir, type CliResult as CliRun } from '../helpers/cli.js';
import { runCli as runCliProcess, type CliResult as CliRun } from '../helpers/cli.js';
import { runFfmpeg } from '../helpers/ffmpeg.js';


export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCliProcess(args, { env });
}

/**
 * 12 s of a colour test pattern then 12 s of a Mandelbrot zoom: the model
 * calls the first a drawing and the second neutral, so the report has two
 * segments of different labels. A keyframe every half second keeps seeks cheap.
 */
export async function makeTwoSceneVideo(file: string): Promise<void> {
  await runFfmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=12',
    '-f', 'lavfi', '-i', 'mandelbrot=size=320x240:rate=25',
    '-filter_complex', '[0][1]concat=n=2:v=1:a=0[v]', '-map', '[v]', '-t', '24',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-pix_fmt', 'yuv420p', file,
  ]);
}

/**
 * Generates samples/sample.mp4: a 36-second, 640x360 H.264 "episode" of eight
 * visually distinct scenes with a sine-tone audio track, so that evenly spaced,
 * keyframe and scene sampling all have something to find. Uses whichever ffmpeg
 * framescore resolves (the npm static build is enough).
 *   node dist/scripts/make-sample-video.js [--if-missing] [output.mp4]
 */
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinaries } from '../src/media/binaries.js';
import { runProcess } from '../src/media/process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ifMissing = process.argv.includes('--if-missing');
const output = path.resolve(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? path.join(root, 'samples', 'sample.mp4'));
if (ifMissing && (await stat(output).then((info) => info.size > 0, () => false))) process.exit(0);

const size = '640x360';
const rate = 25;
/** [lavfi source, seconds, seconds skipped at its start]: each a different look, so each boundary is a scene change. */
const scenes: Array<[string, number, number?]> = [
  [`testsrc2=size=${size}:rate=${rate}`, 5],
  [`mandelbrot=size=${size}:rate=${rate}`, 5],
  [`smptehdbars=size=${size}:rate=${rate}`, 4],
  // A fixed seed, and 1 s in: the first generations change the whole picture from frame to
  // frame, which a scene detector may count as a cut inside the scene (ffmpeg 4.1 did).
  [`life=size=${size}:rate=${rate}:mold=10:ratio=0.5:seed=7:death_color=#102040:life_color=#e0c050`, 5, 1],
  [`color=c=0xd04020:size=${size}:rate=${rate}`, 3],
  [`rgbtestsrc=size=${size}:rate=${rate}`, 4],
  [`cellauto=size=${size}:rate=${rate}:rule=110`, 5],
  [`testsrc=size=${size}:rate=${rate}`, 5],
];

// Written beside the target and renamed, so an interrupted run never leaves a half file that --if-missing would accept.
const temp = `${output}.tmp-${process.pid}.mp4`;
const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
for (const [source, seconds, skip] of scenes) args.push('-f', 'lavfi', ...(skip ? ['-ss', String(skip)] : []), '-t', String(seconds), '-i', source);
const total = scenes.reduce((sum, [, seconds]) => sum + seconds, 0);
args.push('-f', 'lavfi', '-t', String(total), '-i', 'sine=frequency=440:sample_rate=48000');
const chains = scenes.map((_, i) => `[${i}:v]format=yuv420p,setsar=1[v${i}]`).join(';');
const inputs = scenes.map((_, i) => `[v${i}]`).join('');
args.push(
  '-filter_complex', `${chains};${inputs}concat=n=${scenes.length}:v=1:a=0[v]`,
  '-map', '[v]', '-map', `${scenes.length}:a`,
  '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '30', '-g', String(rate * 2), '-bf', '2', '-pix_fmt', 'yuv420p',
  '-c:a', 'aac', '-b:a', '48k',
  '-movflags', '+faststart',
  temp,
);

await mkdir(path.dirname(output), { recursive: true });
const { ffmpeg } = resolveBinaries();
await runProcess(ffmpeg, args, { timeoutMs: 120_000 });
await rename(temp, output);
console.error(`framescore: wrote ${path.relative(process.cwd(), output)} (${total} s, ${scenes.length} scenes)`);

/**
 * Sampling 150 frames from a 30-minute 1080p broadcast-like file:
 *   baseline  one ffmpeg decoding the whole file, a select filter picking the frames
 *   exact     framescore's frame-accurate sampler (per-frame seek, one process per core)
 *   keyframes framescore --keyframes (decode keyframes only)
 * and the decode floor: frames sampled × frames decoded per sample × per-frame decode
 * cost ÷ cores, with the per-frame cost measured from the baseline's CPU time.
 */
import os from 'node:os';
import { resolveBinaries } from '../src/cli/ffmpeg/binaries.js';
import { scaleFilter } from '../src/cli/ffmpeg/extract.js';
import { probeMedia } from '../src/cli/ffmpeg/probe.js';
import { runProcess } from '../src/cli/ffmpeg/process.js';
import { sampleFrames } from '../src/cli/sampler.js';
import { planFrames } from '../src/core/sampling-plan.js';
import { broadcastVideo, childCpuSeconds } from './media.js';

const FRAMES = Number(process.env.FRAMESCORE_BENCH_FRAMES ?? 150);
const GOP_SECONDS = 2;
const cores = os.availableParallelism();
const binaries = resolveBinaries();
const video = await broadcastVideo();
const media = await probeMedia(binaries.ffprobe, video, video);
const plan = planFrames({ mode: { kind: 'count', frames: FRAMES }, keyframes: false }, media);
console.log(`video: ${(media.duration / 60).toFixed(1)} min ${media.width}x${media.height} ${media.codec} @ ${media.frameRate} fps, ${((media.sizeBytes ?? 0) / 1e9).toFixed(2)} GB; ffmpeg ${binaries.ffmpeg} (${binaries.sources.ffmpeg}); ${cores} cores`);

async function timed<T>(label: string, run: () => Promise<T>): Promise<{ wall: number; cpu: number; value: T }> {
  const cpuBefore = await childCpuSeconds();
  const started = performance.now();
  const value = await run();
  const wall = (performance.now() - started) / 1000;
  const cpu = (await childCpuSeconds()) - cpuBefore;
  console.log(`${label.padEnd(12)} wall ${wall.toFixed(1).padStart(6)} s   ffmpeg CPU ${cpu.toFixed(1).padStart(6)} s`);
  return { wall, cpu, value };
}

/** select='eq(n,a)+eq(n,b)+…' fails past ~100 flat terms on ffmpeg 5.1; a balanced tree of sums works. */
function balancedSum(terms: string[]): string {
  if (terms.length === 1) return terms[0]!;
  const middle = Math.ceil(terms.length / 2);
  return `(${balancedSum(terms.slice(0, middle))}+${balancedSum(terms.slice(middle))})`;
}

async function sample(keyframes: boolean): Promise<number> {
  let count = 0;
  for await (const frame of sampleFrames(plan, {
    ffmpeg: binaries.ffmpeg, input: video, width: 224, height: 224, fit: 'crop', keyframes,
    startTime: media.startTime, stillImage: false, timeoutMs: 120_000, concurrency: cores,
  })) if (frame.status === 'sampled') count += 1;
  return count;
}

const exact = await timed('exact', () => sample(false));
const keyframes = await timed('keyframes', () => sample(true));
const frameNumbers = plan.map((frame) => Math.round(frame.requestedTime * media.frameRate));
const baseline = await timed('full decode', async () => {
  const select = balancedSum(frameNumbers.map((n) => `eq(n,${n})`));
  const { stdout } = await runProcess(binaries.ffmpeg, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', video, '-map', '0:v:0', '-an',
    '-vf', `select='${select}',${scaleFilter(224, 224, 'crop')}`, '-vsync', '0',
    '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p', 'pipe:1',
  ]);
  return stdout.length;
});

const totalFrames = media.duration * media.frameRate;
const decodeCost = baseline.cpu / totalFrames;
const decodedPerSample = (GOP_SECONDS * media.frameRate) / 2 + 1;
const floorExact = (FRAMES * decodedPerSample * decodeCost) / cores;
const floorKeyframes = (FRAMES * 1 * decodeCost) / cores;
console.log(`frames sampled: exact ${exact.value}/${FRAMES}, keyframes ${keyframes.value}/${FRAMES}`);
console.log(`per-frame decode cost ${(decodeCost * 1000).toFixed(2)} ms CPU; decode floor: exact ${floorExact.toFixed(1)} s (${decodedPerSample} frames decoded per sample), keyframes ${floorKeyframes.toFixed(2)} s`);
console.log(`speed-up vs full decode: exact ${(baseline.wall / exact.wall).toFixed(1)}x (target >= 8), keyframes ${(baseline.wall / keyframes.wall).toFixed(1)}x (target >= 12)`);
console.log(`sampler / decode floor: exact ${(exact.wall / floorExact).toFixed(2)}, keyframes ${(keyframes.wall / floorKeyframes).toFixed(1)} (per-process start and file open dominate keyframe sampling)`);

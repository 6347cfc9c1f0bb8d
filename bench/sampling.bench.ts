/**
 * Sampling 150 frames from a 30-minute 1080p broadcast-like file:
 *   baseline   one ffmpeg decoding the whole file, a select filter picking the frames
 *   indexed    framescore's default for MP4/MOV H.264: the file's sample table read once,
 *              each sample's keyframe, reference frames and target fed to one long-lived
 *              ffmpeg per core (exact and --keyframes)
 *   seek       --sampler seek: one ffmpeg per frame, each seeking on its own
 * The planned times of 150 frames in 30 minutes (the middle of 12 s slices) fall on the
 * 2 s keyframes of this file, so exact sampling is also run with every time moved 1.04 s
 * later, into the middle of a GOP: the case that decodes the most.
 * The decode floor is frames sampled × frames decoded per sample × per-frame decode cost
 * ÷ cores, with the per-frame cost measured from the baseline's CPU time and the frames
 * decoded per sample counted from the segments the indexed sampler feeds.
 */
import os from 'node:os';
import { resolveBinaries } from '../src/media/binaries.js';
import { scaleFilter } from '../src/media/decode/extract.js';
import { probeMedia } from '../src/media/probe.js';
import { runProcess } from '../src/media/process.js';
import { openByteSource } from '../src/media/source/byte-source.js';
import { FrameChooser } from '../src/media/index/frame-choice.js';
import { readSegment } from '../src/media/index/segment.js';
import { readMp4VideoTrack } from '../src/media/mp4/video-track.js';
import { sampleFrames, type SamplingMethod } from '../src/media/sampling/sampler.js';
import { planFrames, type PlannedFrame } from '../src/core/sampling-plan.js';
import { broadcastVideo, childCpuSeconds } from './media.js';

const FRAMES = Number(process.env.FRAMESCORE_BENCH_FRAMES ?? 150);
const MID_GOP_SHIFT = 1.04;
const cores = os.availableParallelism();
const binaries = resolveBinaries();
const video = await broadcastVideo();
const media = await probeMedia(binaries.ffprobe, video, video);
const plan = planFrames({ mode: { kind: 'count', frames: FRAMES }, keyframes: false }, media);
const midGop = plan.map((frame) => ({ ...frame, requestedTime: frame.requestedTime + MID_GOP_SHIFT }));
console.log(`video: ${(media.duration / 60).toFixed(1)} min ${media.width}x${media.height} ${media.codec} @ ${media.frameRate} fps, ${((media.sizeBytes ?? 0) / 1e9).toFixed(2)} GB; ffmpeg ${binaries.ffmpeg} (${binaries.sources.ffmpeg}); ${cores} cores`);

interface Timed { readonly wall: number; readonly cpu: number }

async function timed(label: string, run: () => Promise<string>): Promise<Timed> {
  const cpuBefore = await childCpuSeconds();
  const started = performance.now();
  const detail = await run();
  const wall = (performance.now() - started) / 1000;
  const cpu = (await childCpuSeconds()) - cpuBefore;
  console.log(`${label.padEnd(30)} wall ${wall.toFixed(1).padStart(6)} s   ffmpeg CPU ${cpu.toFixed(1).padStart(6)} s   ${detail}`);
  return { wall, cpu };
}

async function sample(frames: readonly PlannedFrame[], method: SamplingMethod, keyframes: boolean): Promise<string> {
  let count = 0;
  for await (const frame of sampleFrames(frames, {
    ffmpeg: binaries.ffmpeg, input: video, width: 224, height: 224, fit: 'crop', keyframes,
    startTime: media.startTime, stillImage: false, timeoutMs: 120_000, concurrency: cores, method, rotation: media.rotation,
  })) if (frame.status === 'sampled') count += 1;
  return `${count}/${frames.length} frames`;
}

/** Coded frames the indexed sampler feeds per sample, counted with its own segment reader. */
async function decodedPerSample(frames: readonly PlannedFrame[], keyframes: boolean): Promise<number> {
  const source = await openByteSource(video);
  try {
    const reading = await readMp4VideoTrack(source);
    if ('unsupported' in reading) throw new Error(reading.unsupported);
    const chooser = new FrameChooser(reading.track);
    let total = 0;
    for (const frame of frames) {
      const target = chooser.target(media.startTime + frame.requestedTime, keyframes)!;
      const segment = await readSegment(source, reading.track, chooser.start(target)!, target);
      if (typeof segment === 'string') throw new Error(segment);
      total += segment.frames.length;
    }
    return total / frames.length;
  } finally {
    await source.close();
  }
}

/** select='eq(n,a)+eq(n,b)+…' fails past ~100 flat terms on ffmpeg 5.1; a balanced tree of sums works. */
function balancedSum(terms: string[]): string {
  if (terms.length === 1) return terms[0]!;
  const middle = Math.ceil(terms.length / 2);
  return `(${balancedSum(terms.slice(0, middle))}+${balancedSum(terms.slice(middle))})`;
}

const runs = {
  exact: await timed('exact (indexed)', () => sample(plan, 'auto', false)),
  keyframes: await timed('--keyframes (indexed)', () => sample(plan, 'auto', true)),
  midGop: await timed('exact, mid-GOP times (indexed)', () => sample(midGop, 'auto', false)),
  seekExact: await timed('exact (--sampler seek)', () => sample(plan, 'seek', false)),
  seekKeyframes: await timed('--keyframes (--sampler seek)', () => sample(plan, 'seek', true)),
};
const frameNumbers = plan.map((frame) => Math.round(frame.requestedTime * media.frameRate));
const baseline = await timed('full decode', async () => {
  const select = balancedSum(frameNumbers.map((n) => `eq(n,${n})`));
  const { stdout } = await runProcess(binaries.ffmpeg, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', video, '-map', '0:v:0', '-an',
    '-vf', `select='${select}',${scaleFilter(224, 224, 'crop')}`, '-vsync', '0',
    '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p', 'pipe:1',
  ]);
  return `${(stdout.length / 1e6).toFixed(1)} MB of JPEGs`;
});

// Keyframes cost several times the average frame: decode the first 5 minutes' keyframes alone to price them.
const KEYFRAME_SECONDS = 300;
const keyframesOnly = await timed('keyframes of 5 min decoded', async () => {
  await runProcess(binaries.ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-threads', '1', '-skip_frame', 'nokey', '-t', String(KEYFRAME_SECONDS), '-i', video, '-map', '0:v:0', '-an', '-f', 'null', '-']);
  return `${KEYFRAME_SECONDS / 2} keyframes`;
});
const keyframeCost = keyframesOnly.cpu / (KEYFRAME_SECONDS / 2);
const decodeCost = baseline.cpu / (media.duration * media.frameRate);
const perSample = {
  exact: await decodedPerSample(plan, false),
  keyframes: await decodedPerSample(plan, true),
  midGop: await decodedPerSample(midGop, false),
};
console.log(`\nper-frame decode cost ${(decodeCost * 1000).toFixed(2)} ms CPU (full decode CPU ÷ frames); a keyframe alone ${(keyframeCost * 1000).toFixed(1)} ms`);
const row = (label: string, run: Timed, decoded: number | undefined, target: string): void => {
  let floorText = '';
  if (decoded !== undefined) {
    const floor = (FRAMES * decoded * decodeCost) / cores;
    // The same with each sample's first decoded frame priced as the keyframe it is.
    const keyframeFloor = (FRAMES * (keyframeCost + (decoded - 1) * decodeCost)) / cores;
    floorText = `   decode floor ${floor.toFixed(2)} s (${decoded.toFixed(1)} frames decoded per sample; ${keyframeFloor.toFixed(2)} s pricing keyframes as such), sampler/floor ${(run.wall / floor).toFixed(1)} (${(run.wall / keyframeFloor).toFixed(2)})`;
  }
  console.log(`${label.padEnd(30)} ${(baseline.wall / run.wall).toFixed(1).padStart(6)}x vs full decode${target ? ` (target ${target})` : ''}${floorText}`);
};
row('exact (indexed)', runs.exact, perSample.exact, '>= 8');
row('--keyframes (indexed)', runs.keyframes, perSample.keyframes, '>= 12');
row('exact, mid-GOP times (indexed)', runs.midGop, perSample.midGop, '');
row('exact (--sampler seek)', runs.seekExact, undefined, '');
row('--keyframes (--sampler seek)', runs.seekKeyframes, undefined, '');
console.log(`indexed vs one ffmpeg per frame: exact ${(runs.seekExact.wall / runs.exact.wall).toFixed(1)}x, keyframes ${(runs.seekKeyframes.wall / runs.keyframes.wall).toFixed(1)}x`);

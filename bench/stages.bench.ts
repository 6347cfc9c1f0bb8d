/**
 * Where `framescore classify --local` spends its time, stage by stage, against each
 * stage's floor, on the 10-minute 1080p bench MP4 (bench/media.ts): 150 frames (the
 * default) and `--every 1` (600 frames). The CLI runs as a child process with
 * --verbose; its "stages:" line gives open+probe+plan, first/last frame sampled, last
 * scored and report. Floors, measured in the same run:
 *   probe  — one ffprobe -show_format -show_streams of the file;
 *   decode — one ffmpeg pass over the file with `select` of those frames, scaled to 224²
 *            (a full decode: the floor the issues name for --every 1; for 150 frames it is
 *            an upper bound, the keyframe-only pass a lower bound);
 *   score  — ONNX Runtime (1 thread) on that many 224² tensors in this process, over the
 *            pool's 2 workers.
 * Interleaved over rounds, medians; the machine is shared, so trust ratios over seconds.
 *   FRAMESCORE_BENCH_CACHE=… node dist/bench/stages.bench.js   (FRAMESCORE_BENCH_ROUNDS, default 2)
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Classifier } from '../src/core/classifier.js';
import { loadOnnxEngine } from '../src/core/engines/onnx.js';
import { directoryModelFiles } from '../src/core/model-directory.js';
import { readModelBundle } from '../src/core/model-files.js';
import { resolveBinaries } from '../src/media/binaries.js';
import { runProcess } from '../src/media/process.js';
import { broadcastVideo } from './media.js';

const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 2);
const MINUTES = 10;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'bin', 'framescore.js');
const video = await broadcastVideo(MINUTES);
const { ffmpeg, ffprobe } = resolveBinaries();
const NO_TIMEOUT = { timeoutMs: 3_600_000 };

interface Stages { wall: number; prepare: number; first: number; sampled: number; scored: number; report: number }

/** Runs the CLI with --verbose and reads its stages line. */
function classify(extra: readonly string[]): Promise<Stages> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'classify', video, '--local', '--format', 'json', '-o', '-', '--verbose', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = /stages: open\+probe\+plan (\d+) ms; from the start of sampling: first frame sampled (\d+) ms, last frame sampled (\d+) ms, last frame scored (\d+) ms; report (\d+) ms/.exec(stderr);
      if (code !== 0 || line === null) return reject(new Error(`classify exited ${code}: ${stderr.slice(-500)}`));
      const [prepare, first, sampled, scored, report] = line.slice(1).map(Number) as [number, number, number, number, number];
      resolve({ wall: performance.now() - started, prepare, first, sampled, scored, report });
    });
  });
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** One ffmpeg pass selecting these frame numbers (or every frame-rate-th), scaled and cropped to 224², discarded. */
function decodeFloor(select: string, keyframesOnly: boolean): Promise<number> {
  return timed(() => runProcess(ffmpeg, [
    '-v', 'error', '-nostdin', ...(keyframesOnly ? ['-skip_frame', 'nokey'] : []), '-i', video, '-map', '0:v:0', '-an',
    '-vf', `select='${select}',scale=224:224:force_original_aspect_ratio=increase,crop=224:224`, '-fps_mode', 'passthrough', '-f', 'null', '-',
  ], NO_TIMEOUT));
}

const bundle = await readModelBundle(directoryModelFiles(path.join(root, 'models', 'nsfw-mobilenet-v2')));
const classifier = await Classifier.load(bundle, (b) => loadOnnxEngine(b, { threads: 1 }));
const tensor = { width: 224, height: 224, data: new Uint8Array(224 * 224 * 3).map((_, i) => (i * 37) % 251) };
/** ONNX Runtime on `frames` 224² images one at a time, halved for the pool's two workers. */
async function scoreFloor(frames: number): Promise<number> {
  return (await timed(async () => { for (let i = 0; i < frames; i += 1) await classifier.classifyPixels([tensor]); })) / 2;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const cases = [
  { name: '150 frames (default)', args: [] as string[], frames: 150, select: 'not(mod(n,100))' },
  { name: '--every 1 (600 frames)', args: ['--every', '1'], frames: 600, select: 'not(mod(n,25))' },
];
const results = new Map<string, { runs: Stages[]; probe: number[]; decode: number[]; keyframes: number[]; score: number[] }>();
for (const c of cases) results.set(c.name, { runs: [], probe: [], decode: [], keyframes: [], score: [] });
for (let round = 0; round < ROUNDS; round += 1) {
  for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
    const r = results.get(c.name)!;
    r.runs.push(await classify(c.args));
    r.probe.push(await timed(() => runProcess(ffprobe, ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', video], NO_TIMEOUT)));
    r.score.push(await scoreFloor(c.frames));
    r.decode.push(await decodeFloor(c.select, false));
    if (c.frames === 150) r.keyframes.push(await decodeFloor('not(mod(n,2))', true));
  }
}
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
console.log(`classify --local on the ${MINUTES}-minute 1080p MP4 (${video}), ${ROUNDS} interleaved rounds, medians, ${os.availableParallelism()} cores shared with other work:`);
for (const c of cases) {
  const r = results.get(c.name)!;
  const m = (pick: (run: Stages) => number): number => median(r.runs.map(pick));
  const decode = median(r.decode);
  const keyframes = r.keyframes.length > 0 ? `, keyframe-only pass ${s(median(r.keyframes))}` : '';
  console.log(`  ${c.name}: wall ${s(m((run) => run.wall))} (process start, model and worker start-up included)`);
  console.log(`    open+probe+plan ${s(m((run) => run.prepare))}  | floor: one ffprobe ${s(median(r.probe))}`);
  console.log(`    index + first frame ${s(m((run) => run.first))}, all sampled ${s(m((run) => run.sampled))}  | floor: one ffmpeg select pass ${s(decode)}${keyframes}; sampled / full pass ${(m((run) => run.sampled) / decode).toFixed(2)}`);
  console.log(`    all scored ${s(m((run) => run.scored))} (overlaps sampling; after the last frame sampled: ${s(m((run) => run.scored - run.sampled))})  | floor: ONNX Runtime on ${c.frames} tensors over 2 workers ${s(median(r.score))}`);
  console.log(`    report ${s(m((run) => run.report))}`);
}
classifier.dispose();

/**
 * End to end: `framescore classify --local` on the 30-minute 1080p file, in this
 * process so its peak RSS (main thread + inference workers) and CPU can be read;
 * ffmpeg runs as child processes and is reported separately by CPU time. First
 * `--backend onnx` against `--backend wasm` (the baseline), interleaved over rounds,
 * medians, with where the time goes (ffmpeg CPU, framescore's own CPU, wall); then
 * `--sampler seek` (one ffmpeg per frame) as the baseline for indexed sampling.
 *   node dist/bench/classify.bench.js   (FRAMESCORE_BENCH_ROUNDS, default 3)
 */
import os from 'node:os';
import { Writable } from 'node:stream';
import { main } from '../src/cli/main.js';
import { broadcastVideo, childCpuSeconds } from './media.js';

const FRAMES = 150; // classify's default count
const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 3);
const video = await broadcastVideo();
const cores = os.availableParallelism();

interface Run {
  readonly wall: number;
  /** CPU seconds of the ffmpeg children (sampling). */
  readonly ffmpegCpu: number;
  /** CPU seconds of this process: main thread (demuxing, decoding PNGs, reports) and inference workers. */
  readonly ownCpu: number;
  readonly bytes: number;
  readonly code: number;
}

async function classify(extra: string[]): Promise<Run> {
  let bytes = 0;
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { bytes += chunk.length; done(); } });
  const started = performance.now();
  const cpuBefore = await childCpuSeconds();
  const ownBefore = process.cpuUsage();
  const code = await main(['classify', video, '--local', '--format', 'json', '-o', '-', '-q', ...extra], { stdout: sink, handleSignals: false });
  const own = process.cpuUsage(ownBefore);
  return { wall: (performance.now() - started) / 1000, ffmpegCpu: (await childCpuSeconds()) - cpuBefore, ownCpu: (own.user + own.system) / 1e6, bytes, code };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const engines = ['onnx', 'wasm'] as const;
const runs: Record<(typeof engines)[number], Run[]> = { onnx: [], wasm: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  for (const backend of round % 2 === 0 ? engines : [...engines].reverse()) runs[backend].push(await classify(['--backend', backend]));
}
const rss = process.resourceUsage().maxRSS / 1024;

console.log(`classify --local, ${FRAMES} frames of ${video}, ${ROUNDS} interleaved rounds, medians, ${cores} cores:`);
for (const backend of engines) {
  const all = runs[backend];
  const wall = median(all.map((run) => run.wall));
  const ffmpegCpu = median(all.map((run) => run.ffmpegCpu));
  const ownCpu = median(all.map((run) => run.ownCpu));
  console.log(`  --backend ${backend}: exit ${all.map((run) => run.code).join(',')}, wall ${wall.toFixed(1)} s, ${(FRAMES / wall).toFixed(1)} frames/s; report ${(all[0]!.bytes / 1024).toFixed(0)} KB`);
  // CPU over wall × cores: how much of the machine each part kept busy.
  console.log(`    where the time goes: ffmpeg CPU ${ffmpegCpu.toFixed(1)} s (${((100 * ffmpegCpu) / (wall * cores)).toFixed(0)}% of ${cores} cores × wall), framescore CPU (main + inference workers) ${ownCpu.toFixed(1)} s (${((100 * ownCpu) / (wall * cores)).toFixed(0)}%)`);
}
const onnxWall = median(runs.onnx.map((run) => run.wall));
console.log(`onnx / wasm end to end: ${(median(runs.wasm.map((run) => run.wall)) / onnxWall).toFixed(2)}x faster`);
console.log(`peak RSS of framescore (main + workers, the larger of the two engines): ${rss.toFixed(0)} MB`);
const seek = await classify(['--backend', 'onnx', '--sampler', 'seek']);
console.log(`--backend onnx --sampler seek: exit ${seek.code}, wall ${seek.wall.toFixed(1)} s, ffmpeg CPU ${seek.ffmpegCpu.toFixed(1)} s → indexed sampling is ${(seek.wall / onnxWall).toFixed(1)}x faster end to end`);

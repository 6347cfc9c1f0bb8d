/**
 * Local inference throughput through framescore's worker pool, on the same
 * pre-sampled frames so only inference is measured: ONNX Runtime against TF.js wasm
 * (the baseline), each at 1 and 2 workers. On ONNX Runtime the cores are split
 * between workers as intra-op threads (1 worker × all cores, 2 workers × half each);
 * wasm is single-threaded per worker. All four pools stay up and are measured in
 * interleaved rounds (the order rotating), and the medians are reported, so a noisy
 * neighbour colours every configuration alike.
 *   node dist/bench/inference.bench.js
 */
import os from 'node:os';
import { resolveBinaries } from '../src/media/binaries.js';
import { probeMedia } from '../src/media/probe.js';
import type { BackendChoice } from '../src/run/local/backend.js';
import { LocalScorer } from '../src/run/local/pool.js';
import { DEFAULT_MODEL_DIR } from '../src/run/paths.js';
import { sampleFrames } from '../src/media/sampling/sampler.js';
import { planFrames } from '../src/core/sampling-plan.js';
import type { SampledFrame } from '../src/core/results.js';
import { fixture } from '../test/helpers/videos.js';

const FRAMES = 96;
const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 3);
const binaries = resolveBinaries();
const video = await fixture('sample.mp4');
const media = await probeMedia(binaries.ffprobe, video, video);
const frames: SampledFrame[] = [];
for await (const frame of sampleFrames(planFrames({ mode: { kind: 'count', frames: FRAMES }, keyframes: false }, media), {
  ffmpeg: binaries.ffmpeg, input: video, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: media.startTime, stillImage: false, timeoutMs: 60_000, concurrency: 2,
})) frames.push(frame);

async function* replay(): AsyncGenerator<SampledFrame> {
  yield* frames;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Config {
  readonly backend: Extract<BackendChoice, 'onnx' | 'wasm'>;
  readonly workers: number;
  readonly scorer: LocalScorer;
  readonly fps: number[];
}

/** One pass over the frames: frames scored per second. */
async function pass(scorer: LocalScorer): Promise<number> {
  const started = performance.now();
  let ok = 0;
  for await (const result of scorer.score(replay())) if (result.status === 'ok') ok += 1;
  if (ok !== frames.length) throw new Error(`${scorer.description}: ${frames.length - ok} frames failed`);
  return ok / ((performance.now() - started) / 1000);
}

const cores = os.availableParallelism();
const configs: Config[] = [];
try {
  for (const backend of ['wasm', 'onnx'] as const) {
    for (const workers of [1, 2]) {
      const scorer = await LocalScorer.start({ workers, backend, modelDir: DEFAULT_MODEL_DIR, batchSize: 'auto' });
      await pass(scorer); // warm-up: kernels compiled, caches hot
      configs.push({ backend, workers, scorer, fps: [] });
    }
  }
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let i = 0; i < configs.length; i += 1) {
      const config = configs[(i + round) % configs.length]!;
      config.fps.push(await pass(config.scorer));
    }
  }
} finally {
  await Promise.all(configs.map((config) => config.scorer.close()));
}

const fpsOf = (backend: Config['backend'], workers: number): number => median(configs.find((c) => c.backend === backend && c.workers === workers)!.fps);
console.log(`${FRAMES} frames of 224x224, ${ROUNDS} interleaved rounds, medians, ${cores} cores:`);
for (const config of configs) {
  const fps = median(config.fps);
  console.log(`  ${config.scorer.description.padEnd(52)} ${fps.toFixed(1).padStart(7)} frames/s (${(1000 / fps).toFixed(1)} ms/frame; rounds ${config.fps.map((v) => v.toFixed(1)).join(', ')})`);
}
const wasm = fpsOf('wasm', 2);
const onnx = Math.max(fpsOf('onnx', 1), fpsOf('onnx', 2));
console.log(`wasm 2 workers / 1 worker: ${(wasm / fpsOf('wasm', 1)).toFixed(2)}x (target >= 1.7 on 2 cores)`);
console.log(`onnx 2 workers × ${Math.floor(cores / 2)} thread(s) / 1 worker × ${cores} threads: ${(fpsOf('onnx', 2) / fpsOf('onnx', 1)).toFixed(2)}x`);
console.log(`onnx / wasm at ${cores} cores (best onnx pool vs 2 wasm workers): ${(onnx / wasm).toFixed(1)}x (goal >= 10x)`);

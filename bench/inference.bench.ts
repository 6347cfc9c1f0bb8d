/**
 * Local inference throughput: framescore's worker pool (one TF.js wasm instance per
 * core) against one worker of the same backend, on the same pre-sampled frames, so
 * only inference is measured.
 */
import os from 'node:os';
import { resolveBinaries } from '../src/cli/binaries.js';
import { probeMedia } from '../src/media/probe.js';
import { LocalScorer } from '../src/cli/local/pool.js';
import { DEFAULT_MODEL_DIR } from '../src/cli/paths.js';
import { sampleFrames } from '../src/media/sampling/sampler.js';
import { planFrames } from '../src/core/sampling-plan.js';
import type { SampledFrame } from '../src/core/results.js';
import { fixture } from '../test/helpers/videos.js';

const FRAMES = 96;
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

async function throughput(workers: number, batchSize: number): Promise<number> {
  const scorer = await LocalScorer.start({ workers, backend: 'wasm', modelDir: DEFAULT_MODEL_DIR, batchSize });
  try {
    for await (const _ of scorer.score(replay())) { /* warm-up pass: kernels compiled, caches hot */ }
    const started = performance.now();
    let ok = 0;
    for await (const result of scorer.score(replay())) if (result.status === 'ok') ok += 1;
    const seconds = (performance.now() - started) / 1000;
    const fps = ok / seconds;
    console.log(`${String(workers).padStart(2)} worker(s), batch ${String(batchSize).padStart(2)}: ${fps.toFixed(1).padStart(6)} frames/s (${((seconds * 1000) / ok).toFixed(1)} ms/frame)`);
    return fps;
  } finally {
    await scorer.close();
  }
}

const cores = os.availableParallelism();
const one = await throughput(1, 8);
await throughput(1, 1);
const pool = await throughput(Math.min(cores, 4), 8);
if (cores > 2) await throughput(cores + 1, 8);
console.log(`parallel / one thread: ${(pool / one).toFixed(2)}x on ${cores} cores (target >= 1.7 on 2 cores)`);

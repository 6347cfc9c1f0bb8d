/**
 * The bundled model on onnxruntime-node (model.onnx, 1 and 2 intra-op threads)
 * against TF.js wasm (model.json), batch 1 on the 224×224 test photographs:
 * ms/frame (interleaved rounds, medians), session creation, model size and, in a
 * child process per engine, peak RSS.
 *   node dist/bench/onnx-engine.bench.js
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { DEFAULT_MODEL_DIR } from '../src/run/paths.js';
import { decodeImage } from '../src/core/image-decode.js';

const ROUNDS = 5;
const FRAMES_PER_ROUND = 24;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const onnxBytes = new Uint8Array(await readFile(path.join(DEFAULT_MODEL_DIR, 'model.onnx')));
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The 224×224 photographs as model input (v / 255, as the manifest says), without TF.js. */
async function inputs(): Promise<Float32Array[]> {
  const names = ['astronaut-224.png', 'coffee-224.png', 'hubble-224.png'];
  return Promise.all(names.map(async (name) => Float32Array.from(decodeImage(await readFile(path.join(root, 'test/fixtures/photos', name))).data, (v) => v / 255)));
}

async function ortEngine(threads: number): Promise<(input: Float32Array) => Promise<void>> {
  const session = await ort.InferenceSession.create(onnxBytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  return async (input) => {
    await session.run({ input_1: new ort.Tensor('float32', input, [1, 224, 224, 3]) });
  };
}

async function wasmEngine(): Promise<(input: Float32Array) => Promise<void>> {
  const [{ activateBackend, tf }, { wasmDirectory }, { readModelBundle }, { directoryModelFiles }, { loadLayersModel }] = await Promise.all([
    import('../src/core/tf-backend.js'), import('../src/run/local/backend.js'), import('../src/core/model-files.js'), import('../src/core/model-directory.js'), import('@tensorflow/tfjs-layers'),
  ]);
  await activateBackend('wasm', { wasmDir: wasmDirectory() });
  const model = await loadLayersModel(tf.io.fromMemory((await readModelBundle(directoryModelFiles(DEFAULT_MODEL_DIR))).artifacts!));
  return async (input) => {
    const output = tf.tidy(() => model.predict(tf.tensor4d(input, [1, 224, 224, 3])) as InstanceType<typeof tf.Tensor>);
    await output.data();
    output.dispose();
  };
}

async function engine(name: string): Promise<(input: Float32Array) => Promise<void>> {
  return name === 'wasm' ? wasmEngine() : ortEngine(name === 'ort-2' ? 2 : 1);
}

const child = process.argv[2];
if (child !== undefined) {
  // Child: one engine only, so its peak RSS is its own.
  const run = await engine(child);
  for (const input of await inputs()) for (let i = 0; i < 8; i++) await run(input);
  console.log(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024 }));
} else {
  const frames = await inputs();
  const creates: number[] = [];
  const firstCreate = performance.now();
  await (await ort.InferenceSession.create(onnxBytes)).release();
  const firstCreateMs = performance.now() - firstCreate;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const session = await ort.InferenceSession.create(onnxBytes);
    creates.push(performance.now() - started);
    await session.release();
  }
  const names = ['ort-1', 'ort-2', 'wasm'];
  const engines = await Promise.all(names.map(engine));
  for (const run of engines) for (const input of frames) await run(input); // warm-up
  const perFrame = new Map(names.map((name) => [name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, run] of engines.entries()) {
      const started = performance.now();
      for (let f = 0; f < FRAMES_PER_ROUND; f++) await run(frames[f % frames.length]!);
      perFrame.get(names[i]!)!.push((performance.now() - started) / FRAMES_PER_ROUND);
    }
  }
  const wasm = median(perFrame.get('wasm')!);
  for (const name of names) {
    const rss = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name], { encoding: 'utf8' });
    const maxRss = rss.status === 0 ? (JSON.parse(rss.stdout.trim().split('\n').pop()!) as { maxRssMB: number }).maxRssMB.toFixed(0) : `? (${rss.stderr.slice(-200)})`;
    const ms = median(perFrame.get(name)!);
    console.log(`${name.padEnd(6)} ${ms.toFixed(1).padStart(6)} ms/frame (rounds ${perFrame.get(name)!.map((v) => v.toFixed(1)).join(', ')}), ${(wasm / ms).toFixed(1)}x tfjs-wasm, peak RSS ${maxRss} MB alone`);
  }
  console.log(`ORT session create: first ${firstCreateMs.toFixed(0)} ms, then median ${median(creates).toFixed(0)} ms`);
  console.log(`model.onnx: ${(onnxBytes.byteLength / 1e6).toFixed(2)} MB, gzipped ${(gzipSync(onnxBytes, { level: 9 }).byteLength / 1e6).toFixed(2)} MB`);
}

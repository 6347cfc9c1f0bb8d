/**
 * Lambda benchmark (a program, not a test): what the function's package is made of and
 * how long it takes to start. The package is the function zip (no native code) plus two
 * layers per architecture, ONNX Runtime and ffmpeg: each part's size, the total, and the
 * goals beside them. For each packaging choice, the function zip per architecture, then
 * cold init (fresh process → handler module imported with the model loaded, wall and CPU)
 * and warm invoke latency for 1, 8 and 32 JPEG frames and 1 lossless frame (the CLI's
 * default wire format) of its x86_64 zip (this machine's CPU), each run a fresh `node`
 * process that imports the unpacked package as Lambda would, with the ONNX Runtime layer
 * unpacked beside it as Lambda's /opt and NODE_OPTIONS=--enable-source-maps as
 * infra/template.yaml sets it. Then warm 1-frame by stage (the function's own code,
 * in this process): JSON parse, base64, JPEG decode or inflate, preprocessing, the ONNX
 * Runtime run. Choices, interleaved run by run, medians over runs:
 *   default           ONNX Runtime only (from its layer), the model's ONNX form with float32 weights, esbuild code splitting
 *   ORT in the zip    the default with ONNX Runtime in the function's own node_modules (the layout before the layer)
 *   single bundle     the same as one index.mjs (everything parsed at INIT)
 *   uint8 model       the same with the repository's uint8 model.onnx (smaller zip, slower session creation)
 *   with fallback     --wasm-fallback (TF.js and its wasm in the zip), running ONNX Runtime
 *   wasm fallback     the same zip without the ONNX Runtime layer: the TF.js wasm engine
 *   S3 model          MODEL_URI in s3rver, /tmp cache cold and warm (not with --packaged-only)
 * --brotli also prices shipping libonnxruntime brotli-compressed (size, and the decompression
 * every cold start would pay); compressing takes minutes here.
 * Goals (issue 20): arm64 zip ≤ 12 MB, x86_64 ≤ 18 MB, cold init ≤ 250 ms, warm 1 frame ≤ 15 ms.
 *   node dist/bench/lambda.bench.js [--packaged-only] [--runs N] [--brotli]
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants, deflateRawSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { unzipSync } from 'fflate';
import { packageFfmpegLayers, type LayerResult } from '../scripts/ffmpeg-layer.js';
import { extractZip } from '../scripts/lambda-zip.js';
import { packageOnnxRuntimeLayers, type OnnxRuntimeLayerResult } from '../scripts/onnxruntime-layer.js';
import { ARCHITECTURES, checkDeployment, LIMITS, mb, packageLambdas, ZIP_TARGETS, type PackageOptions, type PackageResult } from '../scripts/package-lambda.js';
import { decodeImage } from '../src/core/image-decode.js';
import { toWireImage } from '../src/core/wire-image.js';
import { measureStages } from './lambda-stages.js';
import { runFfmpeg } from '../test/helpers/ffmpeg.js';
import { startS3rver } from '../test/helpers/s3rver.js';

const runsFlag = process.argv.indexOf('--runs');
const COLD_RUNS = runsFlag >= 0 ? Math.max(1, Number(process.argv[runsFlag + 1])) : 7;
const PACKAGED_ONLY = process.argv.includes('--packaged-only');
const BROTLI = process.argv.includes('--brotli');
const BATCHES = [1, 8, 32] as const;
const REPEATS: Record<number, number> = { 1: 10, 8: 3, 32: 2 };
const GOALS = { coldMs: 250, warmOneMs: 15 } as const;
const MARK = '@@bench ';

// Runs in the child: import the handler (INIT), then time warm batches.
const CHILD = `
const { handler } = await import(process.env.BENCH_HANDLER);
const readyMs = performance.now();
const cpu = process.cpuUsage();
const readyCpuMs = (cpu.user + cpu.system) / 1000;
const image = process.env.BENCH_IMAGE;
const batches = JSON.parse(process.env.BENCH_BATCHES);
const warm = {};
for (const [size, repeats] of batches) {
  const request = { v: 1, frames: Array.from({ length: size }, (_, i) => ({ id: 'f' + i, image })) };
  await handler(request);
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    const response = await handler(request);
    times.push(performance.now() - t);
    if (!response.results) throw new Error(JSON.stringify(response).slice(0, 300));
  }
  times.sort((a, b) => a - b);
  warm[size] = { median: times[Math.floor(times.length / 2)], best: times[0] };
}
// One lossless frame (raw RGB deflated, the CLI's default wire format).
const pixelsRequest = { v: 2, frames: [{ id: 'p', pixels: JSON.parse(process.env.BENCH_PIXELS) }] };
await handler(pixelsRequest);
const pixelTimes = [];
for (let r = 0; r < 10; r++) {
  const t = performance.now();
  const response = await handler(pixelsRequest);
  pixelTimes.push(performance.now() - t);
  if (response.results?.[0]?.status !== 'ok') throw new Error(JSON.stringify(response).slice(0, 300));
}
pixelTimes.sort((a, b) => a - b);
warm.pixels = { median: pixelTimes[Math.floor(pixelTimes.length / 2)], best: pixelTimes[0] };
process.stdout.write('\\n${MARK}' + JSON.stringify({ readyMs, readyCpuMs, warm }) + '\\n');
`;

interface Timing {
  readonly median: number;
  /** The fastest run: closest to the uncontended cost when the machine is busy. */
  readonly best: number;
}

interface ChildResult {
  /** Process start → handler imported with the model loaded (performance.now() counts from process start). */
  readonly readyMs: number;
  /** CPU time (all threads) the process used by then: steadier than wall time on a loaded machine. */
  readonly readyCpuMs: number;
  /** Keyed by batch size, and `pixels` for one lossless frame. */
  readonly warm: Record<string, Timing>;
  /** From the `framescore model ready` log line. */
  readonly engine: string;
}

async function runChild(handler: string, image: string, pixels: string, env: Record<string, string>, batches: Array<[number, number]>): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: path.dirname(handler),
    // NODE_NO_WARNINGS: the bundled AWS SDK warns about Node 20 on every start; Lambda runs 22.
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), NODE_NO_WARNINGS: '1', NODE_OPTIONS: '--enable-source-maps', BENCH_HANDLER: handler, BENCH_IMAGE: image, BENCH_PIXELS: pixels, BENCH_BATCHES: JSON.stringify(batches), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const line = stdout.split('\n').find((entry) => entry.startsWith(MARK));
  if (code !== 0 || line === undefined) throw new Error(`benchmark child exited ${code}: ${stdout.slice(-500)}`);
  const ready = stdout.split('\n').filter((entry) => entry.startsWith('{')).map((entry) => JSON.parse(entry) as { message?: string; engine?: string }).find((entry) => entry.message === 'framescore model ready');
  return { ...(JSON.parse(line.slice(MARK.length)) as Omit<ChildResult, 'engine'>), engine: ready?.engine ?? 'unknown' };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Deflated bytes of a zip's entries, grouped: the ONNX Runtime binding, the model, the bundle, the rest. */
function composition(zip: Uint8Array): string {
  const groups = new Map<string, number>();
  for (const [name, data] of Object.entries(unzipSync(zip))) {
    const group = name.includes('/bin/napi-v6/') ? 'ONNX Runtime binding' : name.startsWith('models/') ? 'model' : name.startsWith('index.mjs') || name.startsWith('chunk-') ? 'bundle + source maps' : name.endsWith('.wasm') ? 'TF.js wasm' : 'other';
    groups.set(group, (groups.get(group) ?? 0) + deflateRawSync(data, { level: 9 }).byteLength);
  }
  return [...groups].sort((a, b) => b[1] - a[1]).map(([group, bytes]) => `${group} ${mb(bytes)}`).join(', ');
}

// Other work on the machine skews every number here; print the load so readers can judge.
const load = (): string => os.loadavg().map((value) => value.toFixed(1)).join(' ');
console.log(`load average at start: ${load()} (${os.availableParallelism()} cores)`);
const pair = (timing: Timing): string => `${timing.median.toFixed(0)} (${timing.best.toFixed(0)})`.padStart(12);
/** What each architecture deploys with the default choice: the function zip, its two layers, and the total a cold start downloads. */
function printDeployment(functions: readonly PackageResult[], onnx: readonly OnnxRuntimeLayerResult[], ffmpeg: readonly LayerResult[]): void {
  console.log('\nthe default package per architecture, zipped (unzipped); the size goal is for the function zip:');
  console.log(`  ${'arch'.padEnd(6)} ${'function zip'.padStart(26)} ${'ONNX Runtime layer'.padStart(20)} ${'ffmpeg layer'.padStart(20)} ${'total'.padStart(20)}  of 250 MB unzipped`);
  for (const fn of functions) {
    const layers = [onnx.find((layer) => layer.architecture === fn.architecture)!, ffmpeg.find((layer) => layer.architecture === fn.architecture)!];
    const total = checkDeployment(fn.architecture, [fn, ...layers]);
    const goal = ZIP_TARGETS[fn.architecture];
    const part = (sizes: { zippedBytes: number; unzippedBytes: number }): string => `${mb(sizes.zippedBytes)} (${(sizes.unzippedBytes / 1024 / 1024).toFixed(1)})`.padStart(20);
    console.log(`  ${fn.architecture.padEnd(6)} ${`${mb(fn.zippedBytes)} ≤ ${mb(goal)} ${fn.zippedBytes <= goal ? 'met' : 'over'}`.padStart(26)} ${part(layers[0]!)} ${part(layers[1]!)} ${part(total)}  ${((total.unzippedBytes / LIMITS.unzipped) * 100).toFixed(0)}%`);
  }
}

const work = await mkdtemp(path.join(os.tmpdir(), 'framescore-bench-lambda-'));
const s3 = PACKAGED_ONLY ? undefined : await startS3rver({ buckets: ['bench-models'] });
try {
  const choices: Array<{ name: string; options: PackageOptions }> = [
    { name: 'default', options: {} },
    { name: 'single bundle', options: { bundle: 'single' } },
    { name: 'uint8 model', options: { onnxWeights: 'uint8' } },
    { name: 'with fallback', options: { wasmFallback: true } },
  ];
  const packages = new Map<string, PackageResult[]>();
  console.log('zip per packaging choice (goal: arm64 ≤ 12 MB, x86_64 ≤ 18 MB, deflated sizes of what each holds in brackets):');
  for (const choice of choices) {
    const results = await packageLambdas(path.join(work, choice.name.replace(/ /g, '-')), undefined, choice.options);
    packages.set(choice.name, results);
    for (const pkg of results) {
      const zip = new Uint8Array(await readFile(pkg.out));
      const goal = ZIP_TARGETS[pkg.architecture];
      console.log(`  ${choice.name.padEnd(14)} ${pkg.architecture.padEnd(6)} ${mb(pkg.zippedBytes).padStart(9)} zipped (${pkg.zippedBytes <= goal ? 'met' : 'over'} ${mb(goal)}; ${((pkg.zippedBytes / LIMITS.zipped) * 100).toFixed(0)}% of 50 MB), ${mb(pkg.unzippedBytes)} unzipped  [${composition(zip)}]`);
    }
  }
  const onnxLayers = await packageOnnxRuntimeLayers(path.join(work, 'layers'), ARCHITECTURES);
  const ffmpegLayers = await packageFfmpegLayers(path.join(work, 'layers'), ARCHITECTURES);
  printDeployment(packages.get('default')!, onnxLayers, ffmpegLayers);
  if (BROTLI) {
    for (const pkg of packages.get('default')!) {
      const entries = unzipSync(new Uint8Array(await readFile(pkg.out)));
      const [name, library] = Object.entries(entries).find(([entry]) => entry.endsWith('libonnxruntime.so.1'))!;
      const compressed = brotliCompressSync(library, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_LGWIN]: 24, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: library.byteLength } });
      const times = Array.from({ length: 5 }, () => { const started = performance.now(); brotliDecompressSync(compressed); return performance.now() - started; });
      const deflated = deflateRawSync(library, { level: 9 }).byteLength;
      console.log(`  brotli ${pkg.architecture}: ${name.split('/').pop()} ${mb(deflated)} deflated → ${mb(compressed.byteLength)} brotli (zip ≈ ${mb(pkg.zippedBytes - deflated + compressed.byteLength)}); decompressing it at INIT: ${median(times).toFixed(0)} ms here (median of 5)`);
    }
  }

  const jpegFile = path.join(work, 'frame.jpg');
  await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=224x224', '-frames:v', '1', jpegFile]);
  const image = (await readFile(jpegFile)).toString('base64');
  const unpack = async (name: string): Promise<string> => {
    const pkg = packages.get(name)!.find((result) => result.architecture === 'x86_64')!;
    const dir = path.join(work, `${name.replace(/ /g, '-')}-unzipped`);
    await extractZip(new Uint8Array(await readFile(pkg.out)), dir);
    return path.join(dir, 'index.mjs');
  };
  const handlers = { default: await unpack('default'), single: await unpack('single bundle'), uint8: await unpack('uint8 model'), fallback: await unpack('with fallback') };
  // The ONNX Runtime layer where Lambda would extract it (/opt), named to the function by FRAMESCORE_ONNXRUNTIME_LAYER.
  const opt = path.join(work, 'opt');
  await extractZip(new Uint8Array(await readFile(onnxLayers.find((layer) => layer.architecture === 'x86_64')!.out)), opt);
  const layer = { FRAMESCORE_ONNXRUNTIME_LAYER: opt };
  // The layout before the layer: the same ONNX Runtime files in the function's own node_modules.
  const inZip = path.join(work, 'onnxruntime-in-zip');
  await cp(path.dirname(handlers.default), inZip, { recursive: true });
  await cp(path.join(opt, 'nodejs', 'node_modules'), path.join(inZip, 'node_modules'), { recursive: true });
  const wire = await toWireImage(decodeImage(new Uint8Array(await readFile(jpegFile))));
  if (!('pixels' in wire)) throw new Error('a decoded frame goes on the wire as pixels');
  const pixels = JSON.stringify(wire.pixels);
  const batches = BATCHES.map((size) => [size, REPEATS[size]!] as [number, number]);
  const configs: Array<{ name: string; handler: string; env: Record<string, string>; before?: () => Promise<void> }> = [
    { name: 'default', handler: handlers.default, env: layer },
    { name: 'ORT in the zip', handler: path.join(inZip, 'index.mjs'), env: {} },
    { name: 'single bundle', handler: handlers.single, env: layer },
    { name: 'uint8 model', handler: handlers.uint8, env: layer },
    { name: 'with fallback', handler: handlers.fallback, env: layer },
    // No layer: the zip's own TF.js wasm engine (FRAMESCORE_ONNXRUNTIME_MODULE also keeps a machine's /opt out of it).
    { name: 'wasm fallback', handler: handlers.fallback, env: { FRAMESCORE_ONNXRUNTIME_MODULE: path.join(work, 'no-such-module.js') } },
  ];
  if (s3 !== undefined) {
    // The full model directory, as `framescore model push` uploads it.
    const modelDir = path.join(path.dirname(handlers.fallback), 'models', 'nsfw-mobilenet-v2');
    for (const name of await readdir(modelDir)) {
      await s3.client.send(new PutObjectCommand({ Bucket: 'bench-models', Key: `m/${name}`, Body: await readFile(path.join(modelDir, name)) }));
    }
    const cache = path.join(work, 'cache');
    const s3Env = { ...layer, ...s3.env, MODEL_URI: 's3://bench-models/m/', MODEL_CACHE_DIR: cache };
    configs.push(
      { name: 'S3, /tmp cache cold', handler: handlers.default, env: s3Env, before: () => rm(cache, { recursive: true, force: true }) },
      { name: 'S3, /tmp cache warm', handler: handlers.default, env: s3Env },
    );
  }
  const results = configs.map(() => [] as ChildResult[]);
  // Interleaved, so drifting load on the shared machine hits every configuration alike.
  for (let run = 0; run < COLD_RUNS; run++) {
    for (const [i, config] of configs.entries()) {
      await config.before?.();
      results[i]!.push(await runChild(config.handler, image, pixels, config.env, batches));
    }
  }
  const rows = configs.map((config, i) => {
    const runs = results[i]!;
    const colds = runs.map((result) => result.readyMs);
    const warm = Object.fromEntries([...BATCHES.map(String), 'pixels'].map((key) => {
      const medians = runs.map((result) => result.warm[key]!.median);
      return [key, { median: median(medians), best: Math.min(...runs.map((result) => result.warm[key]!.best)) }];
    }));
    return { name: config.name, engine: runs[0]!.engine, cold: { median: median(colds), best: Math.min(...colds) }, coldCpu: median(runs.map((result) => result.readyCpuMs)), warm };
  });

  const baseline = rows[0]!;
  console.log(`\ncold init = process start → handler module imported with the model loaded (${COLD_RUNS} fresh processes per configuration, interleaved), wall and CPU (all threads)`);
  console.log('warm invoke = one handler call on a warm environment: base64 + JPEG decode (or inflate, lossless) + inference');
  console.log('all in ms, x86_64 zips, median over runs of each run\'s median (best single call)\n');
  console.log(`${'configuration'.padEnd(22)} ${'cold init'.padStart(12)} ${'init CPU'.padStart(9)} ${BATCHES.map((size) => `${size} frame${size > 1 ? 's' : ''}`.padStart(12)).join(' ')} ${'1 lossless'.padStart(12)}  ms/frame@32  cold vs default  engine`);
  for (const row of rows) {
    const perFrame = row.warm['32']!.median / 32;
    console.log(`${row.name.padEnd(22)} ${pair(row.cold)} ${row.coldCpu.toFixed(0).padStart(9)} ${BATCHES.map((size) => pair(row.warm[String(size)]!)).join(' ')} ${pair(row.warm.pixels!)}  ${perFrame.toFixed(1).padStart(11)}  ${`${(row.cold.median / baseline.cold.median).toFixed(2)}×`.padStart(15)}  ${row.engine}`);
  }
  const verdict = (value: number, goal: number): string => `${value.toFixed(1)} ms vs ${goal} ms (${value <= goal ? 'met' : 'missed'})`;
  console.log(`\ngoals (default package, medians): cold init ${verdict(baseline.cold.median, GOALS.coldMs)} (best run ${baseline.cold.best.toFixed(0)} ms); warm 1-frame ${verdict(baseline.warm['1']!.median, GOALS.warmOneMs)} JPEG, ${verdict(baseline.warm.pixels!.median, GOALS.warmOneMs)} lossless`);
  console.log(`load average at end: ${load()}`);
  console.log(`batching: 32 frames cost ${(baseline.warm['32']!.median / baseline.warm['1']!.median).toFixed(1)}× one frame (${((baseline.warm['32']!.median / 32 / baseline.warm['1']!.median) * 100).toFixed(0)}% of the per-frame cost)`);
  await measureStages(path.join(path.dirname(handlers.default), 'models', 'nsfw-mobilenet-v2'), new Uint8Array(await readFile(jpegFile)));
} finally {
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
}

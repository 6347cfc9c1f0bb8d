/**
 * The packaged zips, one per architecture, and the ONNX Runtime layer beside each:
 * deterministic, within Lambda's limits (the function and its layers together), no native
 * code in the function zip and only onnxruntime-node's binding for the layer's own CPU in
 * the layer, no TF.js; the x86_64 zip runs ONNX Runtime from its unpacked layer in an empty
 * temp dir with no node_modules in reach (the model's float32 ONNX form scoring as the
 * repository's model does), and says where it looked when the layer or its binding is
 * missing; built with --wasm-fallback it carries TF.js and answers on wasm without the layer.
 */
import assert from 'node:assert/strict';
import { cp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { unzipSync, zipSync } from 'fflate';
import { Classifier } from '../../src/core/classifier.js';
import { parseInvokeResponse, type InvokeRequest, type InvokeResponse } from '../../src/core/contract.js';
import { LAYER_ROOT, loadOnnxEngine } from '../../src/core/engines/onnx.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { readModelBundle } from '../../src/core/model-files.js';
import { activateBackend } from '../../src/core/tf-backend.js';
import { packageFfmpegLayer, type LayerResult } from '../../scripts/ffmpeg-layer.js';
import { elfMachine, extractZip, nativeEntries } from '../../scripts/lambda-zip.js';
import { allowedNativeEntries, ELF_MACHINE, LAYER_MODULES, nativeViolations } from '../../scripts/onnxruntime-files.js';
import { packageOnnxRuntimeLayer, type OnnxRuntimeLayerResult } from '../../scripts/onnxruntime-layer.js';
import { checkDeployment, LIMITS, packageLambda, type LambdaArchitecture, type PackageResult } from '../../scripts/package-lambda.js';
import { base64, defaultModelDir, makeImage, runHandlerProcess, tempDir, unpackedPackage, type UnpackedPackage } from './fixtures.js';

let pkg: UnpackedPackage;
let arm64: PackageResult;
let arm64Layer: OnnxRuntimeLayerResult;
const ffmpegLayers = new Map<LambdaArchitecture, LayerResult>();
let jpeg: Uint8Array;
before(async () => {
  pkg = await unpackedPackage('x86_64');
  const work = path.dirname(pkg.out);
  arm64 = await packageLambda(path.join(work, 'lambda-arm64.zip'), 'arm64');
  arm64Layer = await packageOnnxRuntimeLayer(path.join(work, 'onnxruntime-layer-arm64.zip'), 'arm64');
  for (const architecture of ['arm64', 'x86_64'] as const) ffmpegLayers.set(architecture, await packageFfmpegLayer(path.join(work, `ffmpeg-layer-${architecture}.zip`), architecture));
  jpeg = await makeImage(await tempDir('package-images'), 'frame.jpg');
});
after(() => pkg?.cleanup());

const COMMON_FILES = [
  'index.mjs',
  'index.mjs.map',
  'models/nsfw-mobilenet-v2/LICENSE.txt',
  'models/nsfw-mobilenet-v2/framescore-model.json',
  'models/nsfw-mobilenet-v2/model.onnx',
];
/** Not the chunks esbuild names by hash, nor the licence files it writes beside whichever outputs carry licensed code. */
const listed = (files: readonly string[]): string[] => files.filter((name) => !name.startsWith('node_modules/') && !name.startsWith('chunk-') && !name.endsWith('.LEGAL.txt'));
const FALLBACK_FILES = [
  'models/nsfw-mobilenet-v2/group1-shard1of1.bin',
  'models/nsfw-mobilenet-v2/model.json',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm.wasm',
];

test('each zip holds the bundle and the model\'s ONNX form, and no native code, no node_modules, no TF.js, no ffmpeg', async () => {
  for (const result of [pkg, arm64]) {
    assert.equal(result.wasmFallback, false);
    assert.deepEqual(listed(result.files), COMMON_FILES);
    assert.ok(result.files.some((name) => name.endsWith('.LEGAL.txt')), 'the bundled code\'s licences');
    // esbuild's code splitting: what only some invocations need is a chunk imported on first use, each with its source map.
    const chunks = result.files.filter((name) => name.startsWith('chunk-'));
    assert.ok(chunks.some((name) => name.endsWith('.mjs')));
    for (const name of chunks.filter((chunk) => chunk.endsWith('.mjs'))) assert.ok(chunks.includes(`${name}.map`), `${name}.map`);
    // TF.js registers its kernels by name; none of that code may reach the bundle.
    const entries = unzipSync(new Uint8Array(await readFile(result.out)));
    for (const name of ['index.mjs', ...chunks]) assert.doesNotMatch(new TextDecoder().decode(entries[name]), /registerKernel/, name);
    assert.deepEqual(nativeEntries(entries), [], `${result.architecture}: native code ships in the layers`);
    assert.deepEqual(result.files.filter((name) => name.includes('node_modules/') || /ffmpeg/i.test(name)), []);
    assert.ok(result.zippedBytes < LIMITS.zipped, `${result.architecture} zip is ${result.zippedBytes} bytes`);
  }
});

test('each ONNX Runtime layer holds onnxruntime-node and onnxruntime-common under nodejs/node_modules, with only its own CPU\'s linux binding', async () => {
  for (const [layer, binDir] of [[pkg.layer, 'linux/x64'], [arm64Layer, 'linux/arm64']] as const) {
    for (const name of ['onnxruntime-node/package.json', 'onnxruntime-node/dist/index.js', 'onnxruntime-node/dist/binding.js', 'onnxruntime-common/package.json', 'onnxruntime-common/dist/cjs/package.json', 'onnxruntime-common/dist/cjs/index.js']) {
      assert.ok(layer.files.includes(`${LAYER_MODULES}/${name}`), name);
    }
    assert.ok(layer.files.every((name) => name.startsWith(`${LAYER_MODULES}/onnxruntime-node/`) || name.startsWith(`${LAYER_MODULES}/onnxruntime-common/`)), 'nothing else');
    assert.deepEqual(layer.files.filter((name) => name.includes('/bin/')), [`nodejs/node_modules/onnxruntime-node/bin/napi-v6/${binDir}/libonnxruntime.so.1`, `nodejs/node_modules/onnxruntime-node/bin/napi-v6/${binDir}/onnxruntime_binding.node`]);
    const entries = unzipSync(new Uint8Array(await readFile(layer.out)));
    const native = nativeEntries(entries);
    assert.deepEqual(native, allowedNativeEntries(layer.architecture).sort());
    for (const name of native) assert.equal(elfMachine(entries[name]!), ELF_MACHINE[layer.architecture], `${layer.architecture} ${name}`);
    assert.deepEqual(nativeViolations(entries, native, layer.architecture), []);
    assert.ok(layer.zippedBytes < LIMITS.zipped, `${layer.architecture} layer zip is ${layer.zippedBytes} bytes`);
  }
});

test('each function with its ONNX Runtime and ffmpeg layers unzips within Lambda\'s 250 MB, and more would be refused', () => {
  for (const [result, layer] of [[pkg, pkg.layer], [arm64, arm64Layer]] as const) {
    const parts = [result, layer, ffmpegLayers.get(result.architecture)!];
    const total = checkDeployment(result.architecture, parts);
    assert.equal(total.unzippedBytes, parts.reduce((sum, part) => sum + part.unzippedBytes, 0));
    assert.ok(total.unzippedBytes < LIMITS.unzipped, `${result.architecture}: ${total.unzippedBytes} bytes`);
    assert.throws(() => checkDeployment(result.architecture, [...parts, { zippedBytes: 0, unzippedBytes: LIMITS.unzipped - total.unzippedBytes + 1 }]), /function and its layers unzip to .* over Lambda's 250\.00 MB limit/);
  }
});

test('packaging twice gives byte-identical zips and layers', async () => {
  const again = await packageLambda(path.join(path.dirname(pkg.out), 'again.zip'), 'x86_64');
  assert.equal(again.sha256, pkg.sha256);
  const layerAgain = await packageOnnxRuntimeLayer(path.join(path.dirname(pkg.out), 'layer-again.zip'), 'x86_64');
  assert.equal(layerAgain.sha256, pkg.layer.sha256);
});

test('the native-code check refuses other native files and bindings for the wrong CPU', () => {
  const elf = (machine: number): Uint8Array => {
    const bytes = new Uint8Array(64);
    bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    new DataView(bytes.buffer).setUint16(18, machine, true);
    return bytes;
  };
  const [so, node] = allowedNativeEntries('arm64') as [string, string];
  const good = { [so]: elf(0xb7), [node]: elf(0xb7) };
  assert.deepEqual(nativeViolations(good, nativeEntries(good), 'arm64'), []);
  const wrongCpu = { [so]: elf(0x3e), [node]: elf(0xb7) };
  assert.match(nativeViolations(wrongCpu, nativeEntries(wrongCpu), 'arm64').join(), /ELF machine 0x3e, not arm64/);
  const extra = { ...good, 'lib.so': elf(0xb7) };
  assert.match(nativeViolations(extra, nativeEntries(extra), 'arm64').join(), /lib\.so is native code outside/);
  assert.match(nativeViolations(good, nativeEntries(good), 'x86_64').join(), /outside onnxruntime-node's x86_64 binding/);
  // The scanner notices an ELF file whatever its name, in a zip as well.
  assert.deepEqual(nativeEntries(zipSync({ 'lib.bin': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]) })), ['lib.bin']);
});

function assertScoresMatch(actual: Record<string, number>, expected: Record<string, number>): void {
  for (const [label, score] of Object.entries(expected)) assert.ok(Math.abs(actual[label]! - score) < 1e-5, `${label}: ${actual[label]} vs ${score}`);
}

async function referenceScores(engine: 'onnx' | 'wasm'): Promise<Record<string, number>> {
  const bundle = await readModelBundle(directoryModelFiles(defaultModelDir));
  if (engine === 'wasm') await activateBackend('wasm');
  const reference = engine === 'onnx' ? await Classifier.load(bundle, (b) => loadOnnxEngine(b)) : await Classifier.load(bundle);
  const [expected] = await reference.classify([jpeg]);
  reference.dispose();
  assert.ok(expected?.status === 'ok');
  return expected.scores;
}

test('the unpacked x86_64 zip runs ONNX Runtime from its unpacked layer in a fresh node process with no node_modules in reach', async () => {
  for (let dir = pkg.dir; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    assert.equal(existsSync(path.join(dir, 'node_modules')), false, `${dir}/node_modules would make the test meaningless`);
  }
  const request: InvokeRequest = { v: 1, frames: [{ id: 'a', image: base64(jpeg) }, { id: 'bad', image: base64(new Uint8Array([1, 2, 3])) }] };
  const run = await runHandlerProcess(path.join(pkg.dir, 'index.mjs'), [request, { warmup: true }], pkg.env);
  const response = parseInvokeResponse(run.responses[0], request) as InvokeResponse;
  const [good, bad] = response.results;
  assert.ok(good?.status === 'ok');
  assertScoresMatch(good.scores, await referenceScores('onnx'));
  assert.equal(bad?.status, 'failed');
  assert.equal(response.timing.coldStart, true);
  const ready = run.logs.find((entry) => entry.message === 'framescore model ready');
  assert.equal(ready?.source, path.join(pkg.dir, 'models', 'nsfw-mobilenet-v2'));
  assert.match(String(ready?.engine), /^onnxruntime /);
  assert.equal(ready?.fellBack, undefined);
  assert.equal(ready?.level, 'info');
  assert.equal(run.logs.filter((entry) => entry.message === 'framescore invocation').length, 2);
  assert.ok(!run.stdout.includes(base64(jpeg).slice(0, 40)), 'image bytes never reach the log');
});

const unavailable = async (env: Record<string, string>): Promise<string> => {
  const request: InvokeRequest = { v: 1, frames: [{ id: 'a', image: base64(jpeg) }] };
  const run = await runHandlerProcess(path.join(pkg.dir, 'index.mjs'), [request], env);
  const response = run.responses[0] as { error?: { code: string; message: string } };
  assert.equal(response.error?.code, 'MODEL_UNAVAILABLE', JSON.stringify(response));
  return response.error.message;
};

test('without the layer the unpacked zip answers MODEL_UNAVAILABLE naming where it looked for onnxruntime-node', async () => {
  assert.equal(existsSync(path.join(LAYER_ROOT, LAYER_MODULES)), false, `${LAYER_ROOT}/${LAYER_MODULES} exists on this machine`);
  const message = await unavailable({});
  assert.match(message, /onnxruntime-node cannot be loaded: onnxruntime-node is neither in a node_modules above .*unzipped nor in the layer's \/opt\/nodejs\/node_modules/);
});

test('with a layer that lacks its binding the unpacked zip answers MODEL_UNAVAILABLE naming the binding', async () => {
  const copy = path.join(await tempDir('package-nobinding'), 'opt');
  await cp(pkg.layerDir, copy, { recursive: true });
  await rm(path.join(copy, allowedNativeEntries('x86_64').find((name) => name.endsWith('.node'))!));
  assert.match(await unavailable({ FRAMESCORE_ONNXRUNTIME_LAYER: copy }), /onnxruntime-node cannot be loaded: .*onnxruntime_binding\.node/);
});

test('built with --wasm-fallback, the zip carries TF.js, the wasm binaries and the TF.js model, and answers on wasm without the ONNX Runtime layer', async () => {
  const work = await tempDir('package-fallback');
  const fallback = await packageLambda(path.join(work, 'lambda-x86_64.zip'), 'x86_64', { wasmFallback: true });
  assert.equal(fallback.wasmFallback, true);
  assert.deepEqual(listed(fallback.files), [...COMMON_FILES, ...FALLBACK_FILES].sort());
  assert.deepEqual(nativeEntries(new Uint8Array(await readFile(fallback.out))), []);
  const copy = path.join(work, 'task');
  await extractZip(new Uint8Array(await readFile(fallback.out)), copy);
  const request: InvokeRequest = { v: 1, frames: [{ id: 'a', image: base64(jpeg) }] };
  const run = await runHandlerProcess(path.join(copy, 'index.mjs'), [request]);
  const response = parseInvokeResponse(run.responses[0], request) as InvokeResponse;
  const [good] = response.results;
  assert.ok(good?.status === 'ok');
  assertScoresMatch(good.scores, await referenceScores('wasm'));
  const ready = run.logs.find((entry) => entry.message === 'framescore model ready');
  assert.equal(ready?.level, 'warn');
  assert.doesNotMatch(String(ready?.engine), /onnxruntime/);
  assert.match(String(ready?.fellBack), /onnxruntime-node cannot be loaded: onnxruntime-node is neither in a node_modules/);
});

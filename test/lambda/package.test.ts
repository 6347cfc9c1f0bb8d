/**
 * The packaged zips, one per architecture: deterministic, within Lambda's limits,
 * native code only in onnxruntime-node's binding for the zip's own CPU, no TF.js,
 * and self-contained: the x86_64 zip runs ONNX Runtime from an empty temp dir with no
 * node_modules in reach (the model's float32 ONNX form scoring as the repository's
 * model does) and says why when its binding is gone; built with --wasm-fallback it
 * carries TF.js and answers on wasm instead.
 */
import assert from 'node:assert/strict';
import { cp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { unzipSync, zipSync } from 'fflate';
import { Classifier } from '../../src/core/classifier.js';
import { parseInvokeResponse, type InvokeRequest, type InvokeResponse } from '../../src/core/contract.js';
import { loadOnnxEngine } from '../../src/core/engines/onnx.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { readModelBundle } from '../../src/core/model-files.js';
import { activateBackend } from '../../src/core/tf-backend.js';
import { elfMachine, extractZip, nativeEntries } from '../../scripts/lambda-zip.js';
import { allowedNativeEntries, nativeViolations } from '../../scripts/onnxruntime-files.js';
import { LIMITS, packageLambda, type PackageResult } from '../../scripts/package-lambda.js';
import { base64, defaultModelDir, makeImage, runHandlerProcess, tempDir, unpackedPackage, type UnpackedPackage } from './fixtures.js';

let pkg: UnpackedPackage;
let arm64: PackageResult;
let jpeg: Uint8Array;
before(async () => {
  pkg = await unpackedPackage('x86_64');
  arm64 = await packageLambda(path.join(path.dirname(pkg.out), 'lambda-arm64.zip'), 'arm64');
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

test('each zip holds the bundle, the model\'s ONNX form, and onnxruntime-node with only its own linux binding; no TF.js', async () => {
  for (const [result, binDir] of [[pkg, 'linux/x64'], [arm64, 'linux/arm64']] as const) {
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
    const modules = result.files.filter((name) => name.startsWith('node_modules/'));
    for (const name of ['onnxruntime-node/package.json', 'onnxruntime-node/dist/index.js', 'onnxruntime-node/dist/binding.js', 'onnxruntime-common/package.json', 'onnxruntime-common/dist/cjs/package.json', 'onnxruntime-common/dist/cjs/index.js']) {
      assert.ok(modules.includes(`node_modules/${name}`), name);
    }
    assert.deepEqual(modules.filter((name) => name.includes('/bin/')), [`node_modules/onnxruntime-node/bin/napi-v6/${binDir}/libonnxruntime.so.1`, `node_modules/onnxruntime-node/bin/napi-v6/${binDir}/onnxruntime_binding.node`]);
    assert.ok(modules.every((name) => /^node_modules\/onnxruntime-(node|common)\//.test(name)), 'nothing else from node_modules');
    assert.ok(!result.files.some((name) => /ffmpeg/i.test(name)), 'ffmpeg ships in its layer, not in the function zip');
    assert.ok(result.zippedBytes < LIMITS.zipped, `${result.architecture} zip is ${result.zippedBytes} bytes`);
    assert.ok(result.unzippedBytes < LIMITS.unzipped);
  }
});

test('packaging twice gives byte-identical zips', async () => {
  const again = await packageLambda(path.join(path.dirname(pkg.out), 'again.zip'), 'x86_64');
  assert.equal(again.sha256, pkg.sha256);
});

test('the arm64 zip holds only aarch64 native files and the x86_64 zip only x86-64 ones (ELF e_machine)', async () => {
  for (const [result, machine] of [[pkg, 0x3e], [arm64, 0xb7]] as const) {
    const entries = unzipSync(new Uint8Array(await readFile(result.out)));
    const native = nativeEntries(entries);
    assert.deepEqual(native, allowedNativeEntries(result.architecture).sort());
    for (const name of native) assert.equal(elfMachine(entries[name]!), machine, name);
    assert.deepEqual(nativeViolations(entries, native, result.architecture), []);
  }
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

test('the unpacked x86_64 zip runs ONNX Runtime in a fresh node process with no node_modules in reach', async () => {
  for (let dir = path.dirname(pkg.dir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    assert.equal(existsSync(path.join(dir, 'node_modules')), false, `${dir}/node_modules would make the test meaningless`);
  }
  const request: InvokeRequest = { v: 1, frames: [{ id: 'a', image: base64(jpeg) }, { id: 'bad', image: base64(new Uint8Array([1, 2, 3])) }] };
  const run = await runHandlerProcess(path.join(pkg.dir, 'index.mjs'), [request, { warmup: true }]);
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

test('without its binding the unpacked zip answers MODEL_UNAVAILABLE naming the binding', async () => {
  const copy = path.join(await tempDir('package-nobinding'), 'task');
  await cp(pkg.dir, copy, { recursive: true });
  await rm(path.join(copy, allowedNativeEntries('x86_64').find((name) => name.endsWith('.node'))!));
  const request: InvokeRequest = { v: 1, frames: [{ id: 'a', image: base64(jpeg) }] };
  const run = await runHandlerProcess(path.join(copy, 'index.mjs'), [request]);
  const response = run.responses[0] as { error?: { code: string; message: string } };
  assert.equal(response.error?.code, 'MODEL_UNAVAILABLE');
  assert.match(response.error.message, /onnxruntime-node cannot be loaded: .*onnxruntime_binding\.node/);
});

test('built with --wasm-fallback, the zip carries TF.js, the wasm binaries and the TF.js model, and answers on wasm without its binding', async () => {
  const work = await tempDir('package-fallback');
  const fallback = await packageLambda(path.join(work, 'lambda-x86_64.zip'), 'x86_64', { wasmFallback: true });
  assert.equal(fallback.wasmFallback, true);
  assert.deepEqual(listed(fallback.files), [...COMMON_FILES, ...FALLBACK_FILES].sort());
  const copy = path.join(work, 'task');
  await extractZip(new Uint8Array(await readFile(fallback.out)), copy);
  await rm(path.join(copy, allowedNativeEntries('x86_64').find((name) => name.endsWith('.node'))!));
  const request: InvokeRequest = { v: 1, frames: [{ id: 'a', image: base64(jpeg) }] };
  const run = await runHandlerProcess(path.join(copy, 'index.mjs'), [request]);
  const response = parseInvokeResponse(run.responses[0], request) as InvokeResponse;
  const [good] = response.results;
  assert.ok(good?.status === 'ok');
  assertScoresMatch(good.scores, await referenceScores('wasm'));
  const ready = run.logs.find((entry) => entry.message === 'framescore model ready');
  assert.equal(ready?.level, 'warn');
  assert.doesNotMatch(String(ready?.engine), /onnxruntime/);
  assert.match(String(ready?.fellBack), /onnxruntime-node cannot be loaded: .*onnxruntime_binding\.node/);
});

/**
 * The packaged zip: deterministic, no native code, within Lambda's limits, and
 * self-contained (runs from an empty temp dir with no node_modules in reach).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { unzipSync } from 'fflate';
import { Classifier } from '../../src/core/classifier.js';
import { parseInvokeResponse, type InvokeRequest, type InvokeResponse } from '../../src/core/contract.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { readModelBundle } from '../../src/core/model-files.js';
import { activateBackend } from '../../src/core/tf-backend.js';
import { nativeEntries } from '../../scripts/lambda-zip.js';
import { LIMITS, packageLambda } from '../../scripts/package-lambda.js';
import { base64, defaultModelDir, makeImage, runHandlerProcess, tempDir, unpackedPackage, type UnpackedPackage } from './fixtures.js';

let pkg: UnpackedPackage;
before(async () => {
  pkg = await unpackedPackage();
});
after(() => pkg?.cleanup());

test('the zip holds the ESM bundle with its source map, the wasm binaries and the default model', () => {
  assert.deepEqual(pkg.files, [
    'index.mjs',
    'index.mjs.LEGAL.txt',
    'index.mjs.map',
    'models/nsfw-mobilenet-v2/LICENSE.txt',
    'models/nsfw-mobilenet-v2/framescore-model.json',
    'models/nsfw-mobilenet-v2/group1-shard1of1.bin',
    'models/nsfw-mobilenet-v2/model.json',
    'models/nsfw-mobilenet-v2/model.onnx',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm.wasm',
  ]);
  assert.ok(pkg.zippedBytes < LIMITS.targetZipped, `zip is ${pkg.zippedBytes} bytes`);
  assert.ok(pkg.unzippedBytes < LIMITS.unzipped);
});

test('packaging twice gives byte-identical zips', async () => {
  const again = await packageLambda(path.join(path.dirname(pkg.out), 'again.zip'));
  assert.equal(again.sha256, pkg.sha256);
});

test('the zip carries no native code, so it runs on x86_64 and arm64', async () => {
  const zip = new Uint8Array(await readFile(pkg.out));
  assert.deepEqual(nativeEntries(zip), []);
  const entries = unzipSync(zip);
  assert.ok(Object.keys(entries).every((name) => !name.endsWith('.node')));
  // The scanner itself must notice an ELF binary.
  const elf = (await import('fflate')).zipSync({ 'lib.so': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]) });
  assert.deepEqual(nativeEntries(elf), ['lib.so']);
});

test('the unpacked zip runs in a fresh node process with no node_modules in reach', async () => {
  assert.equal(existsSync(path.join(pkg.dir, 'node_modules')), false);
  for (let dir = pkg.dir; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    assert.equal(existsSync(path.join(dir, 'node_modules')), false, `${dir}/node_modules would make the test meaningless`);
  }
  const images = await tempDir('package-images');
  const jpeg = await makeImage(images, 'frame.jpg');
  const request: InvokeRequest = { v: 1, frames: [{ id: 'a', image: base64(jpeg) }, { id: 'bad', image: base64(new Uint8Array([1, 2, 3])) }] };
  const run = await runHandlerProcess(path.join(pkg.dir, 'index.mjs'), [request, { warmup: true }]);
  const response = parseInvokeResponse(run.responses[0], request) as InvokeResponse;
  await activateBackend('wasm');
  const reference = await Classifier.load(await readModelBundle(directoryModelFiles(defaultModelDir)));
  const [expected] = await reference.classify([jpeg]);
  reference.dispose();
  const [good, bad] = response.results;
  assert.ok(good?.status === 'ok' && expected?.status === 'ok');
  for (const [label, score] of Object.entries(expected.scores)) assert.ok(Math.abs(good.scores[label]! - score) < 1e-5, label);
  assert.equal(bad?.status, 'failed');
  assert.equal(response.timing.coldStart, true);
  const ready = run.logs.find((entry) => entry.message === 'framescore model ready');
  assert.equal(ready?.source, path.join(pkg.dir, 'models', 'nsfw-mobilenet-v2'));
  assert.equal(run.logs.filter((entry) => entry.message === 'framescore invocation').length, 2);
  assert.ok(!run.stdout.includes(base64(jpeg).slice(0, 40)), 'image bytes never reach the log');
});

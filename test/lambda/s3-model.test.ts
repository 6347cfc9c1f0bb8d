/**
 * MODEL_URI=s3://…: the packaged handler downloads the model from an
 * S3-compatible server (s3rver) into a /tmp-style cache, verifies every sha256,
 * and reuses the verified copy in the next execution environment.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Classifier, type ScoredImage } from '../../src/core/classifier.js';
import { parseInvokeResponse, type ErrorResponse, type InvokeRequest, type InvokeResponse } from '../../src/core/contract.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { readModelBundle, sha256Hex } from '../../src/core/model-files.js';
import { activateBackend } from '../../src/core/tf-backend.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import { base64, defaultModelDir, makeImage, runHandlerProcess, tempDir, unpackedPackage, type UnpackedPackage } from './fixtures.js';

const BUCKET = 'framescore-models';
const WEIGHTS = 'group1-shard1of1.bin';
let s3: S3rverHandle | undefined;
let pkg: UnpackedPackage | undefined;
let request: InvokeRequest;
let expected: ScoredImage;
let manifestSha: string;

async function upload(prefix: string, change?: (name: string, bytes: Uint8Array) => Uint8Array): Promise<void> {
  for (const name of await readdir(defaultModelDir)) {
    const bytes = new Uint8Array(await readFile(path.join(defaultModelDir, name)));
    await s3!.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${name}`, Body: change ? change(name, bytes) : bytes }));
  }
}

before(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  await upload('models/nsfw/');
  await upload('tampered/', (name, bytes) => (name === WEIGHTS ? bytes.map((byte, i) => (i === 1000 ? byte ^ 0xff : byte)) : bytes));
  pkg = await unpackedPackage();
  const jpeg = await makeImage(await tempDir('s3-model'), 'frame.jpg');
  request = { v: 1, frames: [{ id: 'frame', image: base64(jpeg) }] };
  await activateBackend('wasm');
  const bundle = await readModelBundle(directoryModelFiles(defaultModelDir));
  manifestSha = sha256Hex(await readFile(path.join(defaultModelDir, 'framescore-model.json')));
  // The reference runs TF.js wasm (the handler under test runs ONNX Runtime).
  await activateBackend('wasm');
  const reference = await Classifier.load(bundle);
  const [result] = await reference.classify([jpeg]);
  reference.dispose();
  assert.equal(result?.status, 'ok');
  expected = result;
});

after(async () => {
  await s3?.stop();
  await pkg?.cleanup();
});

function run(modelUri: string, cacheDir: string, events: unknown[] = [request]): ReturnType<typeof runHandlerProcess> {
  return runHandlerProcess(path.join(pkg!.dir, 'index.mjs'), events, { ...pkg!.env, ...s3!.env, MODEL_URI: modelUri, MODEL_CACHE_DIR: cacheDir });
}

function assertScoresMatch(response: unknown): void {
  const parsed = parseInvokeResponse(response, request) as InvokeResponse;
  assert.equal('error' in parsed, false, JSON.stringify(response));
  const [result] = parsed.results;
  assert.ok(result?.status === 'ok');
  for (const [label, score] of Object.entries(expected.scores)) assert.ok(Math.abs(result.scores[label]! - score) < 1e-5, label);
}

test('the model is downloaded once, verified, cached by manifest sha256 and reused', async () => {
  const cache = await tempDir('s3-cache');
  const first = await run(`s3://${BUCKET}/models/nsfw`, cache);
  assertScoresMatch(first.responses[0]);
  const ready = first.logs.find((entry) => entry.message === 'framescore model ready');
  assert.deepEqual([ready?.source, ready?.downloaded], [`s3://${BUCKET}/models/nsfw/`, true]);
  assert.deepEqual(await readdir(cache), [manifestSha], 'only the verified copy, no staging leftovers');
  assert.deepEqual((await readdir(path.join(cache, manifestSha))).sort(), ['framescore-model.json', WEIGHTS, 'model.json', 'model.onnx'].sort());

  const second = await run(`s3://${BUCKET}/models/nsfw/`, cache);
  assertScoresMatch(second.responses[0]);
  assert.equal(second.logs.find((entry) => entry.message === 'framescore model ready')?.downloaded, false);
});

test('a cached copy that no longer verifies is discarded and downloaded again', async () => {
  const cache = await tempDir('s3-cache');
  await run(`s3://${BUCKET}/models/nsfw/`, cache, [{ warmup: true }]);
  const weights = path.join(cache, manifestSha, WEIGHTS);
  const bytes = await readFile(weights);
  bytes[10] = bytes[10]! ^ 0xff;
  await writeFile(weights, bytes);
  const rerun = await run(`s3://${BUCKET}/models/nsfw/`, cache);
  assert.ok(rerun.logs.some((entry) => entry.message === 'framescore model load failed during init' && /sha256/.test(String(entry.error))));
  assertScoresMatch(rerun.responses[0]);
  assert.equal(rerun.logs.find((entry) => entry.message === 'framescore model ready')?.downloaded, true);
});

test('a tampered weight file in S3 is rejected by sha256 and nothing is cached', async () => {
  const cache = await tempDir('s3-cache');
  const { responses, logs } = await run(`s3://${BUCKET}/tampered/`, cache, [request, { warmup: true }]);
  for (const response of responses) {
    const error = (response as ErrorResponse).error;
    assert.equal(error.code, 'MODEL_UNAVAILABLE');
    assert.match(error.message, new RegExp(`s3://${BUCKET}/tampered/${WEIGHTS} fails its sha256 check`));
  }
  assert.deepEqual(await readdir(cache), []);
  assert.equal(logs.find((entry) => entry.kind === 'batch')?.level, 'error');
});

test('a missing model or a malformed MODEL_URI is reported with the name of what is wrong', async () => {
  const cache = await tempDir('s3-cache');
  const missing = await run(`s3://${BUCKET}/nothing-here/`, cache);
  assert.match((missing.responses[0] as ErrorResponse).error.message, /s3:\/\/framescore-models\/nothing-here\/framescore-model.json does not exist/);
  const malformed = await run('https://example.com/model/', cache);
  assert.equal((malformed.responses[0] as ErrorResponse).error.code, 'MODEL_UNAVAILABLE');
  assert.match((malformed.responses[0] as ErrorResponse).error.message, /MODEL_URI="https:\/\/example.com\/model\/" is not an s3:\/\/bucket\/prefix\/ URI/);
});

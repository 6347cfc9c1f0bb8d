/**
 * The packaged zip behind a real Lambda Invoke API and HTTP API
 * (serverless-offline on 127.0.0.1), called with the AWS SDK and fetch.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Classifier, type ScoredImage } from '../../src/core/classifier.js';
import { parseInvokeResponse, parseWarmupResponse, type InvokeRequest, type InvokeResponse } from '../../src/core/contract.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { readModelBundle } from '../../src/core/model-files.js';
import { activateBackend } from '../../src/core/tf-backend.js';
import type { OfflineServer } from '../helpers/serverless-offline.js';
import { base64, defaultModelDir, makeImage, startPackagedOffline, tempDir, type PackagedOffline } from './fixtures.js';

const FUNCTION_NAME = 'framescore-dev-classify';
let offline: PackagedOffline | undefined;
let server: OfflineServer | undefined;
let lambda: LambdaClient;
let jpeg: Uint8Array;
let expected: ScoredImage;

before(async () => {
  offline = await startPackagedOffline();
  server = offline.server;
  lambda = new LambdaClient({ endpoint: server.lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  jpeg = await makeImage(await tempDir('offline'), 'frame.jpg');
  await activateBackend('wasm');
  const reference = await Classifier.load(await readModelBundle(directoryModelFiles(defaultModelDir)));
  const [result] = await reference.classify([jpeg]);
  reference.dispose();
  assert.equal(result?.status, 'ok');
  expected = result;
});

after(async () => {
  lambda?.destroy();
  await offline?.stop();
});

async function invoke(payload: unknown): Promise<unknown> {
  const response = await lambda.send(new InvokeCommand({ FunctionName: FUNCTION_NAME, Payload: JSON.stringify(payload) }));
  assert.equal(response.FunctionError, undefined, `FunctionError ${response.FunctionError}: ${new TextDecoder().decode(response.Payload)}`);
  return JSON.parse(new TextDecoder().decode(response.Payload)) as unknown;
}

test('a warm-up through the Invoke API loads the model', async () => {
  const warm = parseWarmupResponse(await invoke({ warmup: true, holdMs: 10 }));
  assert.equal(warm.model?.name, 'nsfw-mobilenet-v2');
});

test('scores through the Lambda equal in-process scores within 1e-5; a bad frame fails alone', async () => {
  const request: InvokeRequest = { v: 1, frames: [{ id: 'good', image: base64(jpeg) }, { id: 'bad', image: base64(new TextEncoder().encode('not a jpeg')) }] };
  const response = parseInvokeResponse(await invoke(request), request) as InvokeResponse;
  const [good, bad] = response.results;
  assert.ok(good?.status === 'ok', JSON.stringify(good));
  for (const [label, score] of Object.entries(expected.scores)) assert.ok(Math.abs(good.scores[label]! - score) < 1e-5, `${label}: ${good.scores[label]} vs ${score}`);
  assert.ok(bad?.status === 'failed' && bad.code === 'INVALID_IMAGE');
});

test('invalid events come back as validation errors, not function errors', async () => {
  for (const payload of ['just a string', { hello: 'world' }, { v: 1, frames: 'nope' }]) {
    const response = (await invoke(payload)) as { error?: { code: string } };
    assert.equal(response.error?.code, 'INVALID_REQUEST', JSON.stringify(payload));
  }
});

test('an unknown function name is ResourceNotFoundException', async () => {
  await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'framescore-dev-nope', Payload: '{}' })), { name: 'ResourceNotFoundException' });
});

test('HTTP POST of base64 text is scored; other methods get 405; junk gets 400', async () => {
  const url = `${server!.httpEndpoint}/classify`;
  const ok = await fetch(url, { method: 'POST', body: base64(jpeg), headers: { 'content-type': 'text/plain' } });
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await ok.json()) as { scores: Record<string, number>; top: { label: string } };
  for (const [label, score] of Object.entries(expected.scores)) assert.ok(Math.abs(body.scores[label]! - score) < 1e-5, label);
  assert.equal(body.top.label, expected.top.label);

  const json = await fetch(url, { method: 'POST', body: JSON.stringify({ image: base64(jpeg) }), headers: { 'content-type': 'application/json' } });
  assert.equal(json.status, 200);
  await json.arrayBuffer();

  const get = await fetch(url);
  assert.equal(get.status, 405);
  assert.equal(((await get.json()) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
  const junk = await fetch(url, { method: 'POST', body: 'certainly not an image', headers: { 'content-type': 'text/plain' } });
  assert.equal(junk.status, 400);
  assert.equal(((await junk.json()) as { error: { code: string } }).error.code, 'INVALID_IMAGE');
});

test('concurrent warm-ups with holdMs land on distinct environments', async () => {
  // Earlier tests left one warm environment; while it holds, the emulator must start another.
  const responses = await Promise.all([invoke({ warmup: true, holdMs: 1000 }), invoke({ warmup: true, holdMs: 1000 })]);
  const coldStarts = responses.map((response) => parseWarmupResponse(response).coldStart).sort();
  assert.deepEqual(coldStarts, [false, true]);
});

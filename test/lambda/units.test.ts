/** Unit tests for the Lambda edge: no model, no network, no subprocess. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_HOLD_MS } from '../../src/core/contract.js';
import { decodeBase64, looksLikeBase64 } from '../../src/lambda/base64.js';
import { readDirEnv, readS3UriEnv, readUrlEnv, requireEnv } from '../../src/lambda/env.js';
import { Base64Error, ConfigError, ModelUnavailableError } from '../../src/lambda/errors.js';
import { routeEvent } from '../../src/lambda/events.js';
import type { LoadedModel } from '../../src/lambda/model-loader.js';
import { ModelRuntime } from '../../src/lambda/runtime.js';

test('base64 decoding is strict about the alphabet and length, lenient about wrapping', () => {
  assert.deepEqual([...decodeBase64('aGVs\nbG8=')], [...Buffer.from('hello')]);
  assert.deepEqual([...decodeBase64('aGVsbG8')], [...Buffer.from('hello')]);
  assert.deepEqual([...decodeBase64('-_8')], [0xfb, 0xff]);
  for (const bad of ['', '   ', 'abc$', 'aGVsbG8=x', 'a']) assert.throws(() => decodeBase64(bad), Base64Error, JSON.stringify(bad));
  assert.equal(looksLikeBase64('{"image":1}'), false);
});

test('env helpers name the variable that is missing or malformed', () => {
  assert.throws(() => requireEnv('MODEL_URI', {}), (error: Error) => error instanceof ConfigError && error.message.includes('MODEL_URI'));
  assert.deepEqual(readS3UriEnv('MODEL_URI', { MODEL_URI: 's3://models-bucket/nsfw/v2' }), { bucket: 'models-bucket', prefix: 'nsfw/v2/' });
  assert.deepEqual(readS3UriEnv('MODEL_URI', { MODEL_URI: 's3://models-bucket' }), { bucket: 'models-bucket', prefix: '' });
  assert.equal(readS3UriEnv('MODEL_URI', { MODEL_URI: '  ' }), undefined);
  assert.throws(() => readS3UriEnv('MODEL_URI', { MODEL_URI: 'https://x/y' }), /MODEL_URI="https:\/\/x\/y" is not an s3:\/\/bucket\/prefix\/ URI/);
  assert.throws(() => readUrlEnv('AWS_ENDPOINT_URL_S3', { AWS_ENDPOINT_URL_S3: 'nope' }), /AWS_ENDPOINT_URL_S3="nope" is not a URL/);
  assert.throws(() => readDirEnv('MODEL_DIR', { MODEL_DIR: 'relative/dir' }), /MODEL_DIR.*absolute/);
});

test('events are routed by shape', () => {
  assert.equal(routeEvent({ v: 1, frames: [] }).kind, 'batch');
  assert.equal(routeEvent({ frames: [] }).kind, 'batch');
  assert.deepEqual(routeEvent({ warmup: true, holdMs: 10 ** 9 }), { kind: 'warmup', holdMs: MAX_HOLD_MS, trigger: 'request' });
  assert.deepEqual(routeEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event' }), { kind: 'warmup', holdMs: 0, trigger: 'schedule' });
  assert.equal(routeEvent({ source: 'aws.s3', 'detail-type': 'Object Created' }).kind, 'invalid');
  const v1 = routeEvent({ httpMethod: 'post', path: '/x', requestContext: {}, headers: { 'Content-Type': 'image/png' }, body: 'AA==', isBase64Encoded: true });
  assert.ok(v1.kind === 'http');
  assert.deepEqual([v1.request.format, v1.request.method, v1.request.headers['content-type']], ['rest-v1', 'POST', 'image/png']);
  const url = routeEvent({ version: '2.0', requestContext: { domainName: 'a.lambda-url.us-east-1.on.aws', http: { method: 'POST' } } });
  assert.ok(url.kind === 'http' && url.request.format === 'function-url');
  // An object that merely has requestContext is not an HTTP event.
  assert.equal(routeEvent({ requestContext: {} }).kind, 'invalid');
});

function fakeModel(): LoadedModel {
  return { source: 'fake', classifier: {} as LoadedModel['classifier'] };
}

test('the runtime shares one in-flight load and reports cold start once', async () => {
  let loads = 0;
  let clock = 0;
  const runtime = new ModelRuntime(async () => {
    loads += 1;
    clock += 250;
    return fakeModel();
  }, () => clock);
  runtime.start();
  const [a, b] = await Promise.all([runtime.acquire(), runtime.acquire()]);
  assert.equal(loads, 1);
  assert.deepEqual([a.coldStart, a.initMs, b.coldStart, b.initMs], [true, 250, false, 0]);
  const c = await runtime.acquire();
  assert.deepEqual([c.coldStart, c.initMs], [false, 0]);
});

test('a failed load is not cached: the next call retries and accounts for both', async () => {
  let attempt = 0;
  let clock = 0;
  const runtime = new ModelRuntime(async () => {
    attempt += 1;
    clock += 100;
    if (attempt === 1) throw new Error('S3 is down');
    return fakeModel();
  }, () => clock);
  await assert.rejects(runtime.acquire(), (error: Error) => error instanceof ModelUnavailableError && /S3 is down/.test(error.message));
  const retried = await runtime.acquire();
  assert.deepEqual([attempt, retried.coldStart, retried.initMs], [2, false, 200]);
});

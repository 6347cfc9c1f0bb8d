/**
 * The handler in-process (compiled sources, packaged default model): the batch
 * contract, warm-ups, and validation errors for everything else.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Classifier, type ScoredImage } from '../../src/core/classifier.js';
import { parseInvokeResponse, parseWarmupResponse, type InvokeRequest, type InvokeResponse } from '../../src/core/contract.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { readModelBundle } from '../../src/core/model-files.js';
import { setLogSink } from '../../src/lambda/log.js';
import { base64, defaultModelDir, makeImage, tempDir } from './fixtures.js';

const logs: Array<Record<string, unknown>> = [];
setLogSink((line) => logs.push(JSON.parse(line) as Record<string, unknown>));
// Imported after the sink is set, so the init log line is captured too.
const { handler } = await import('../../src/lambda/index.js');

let jpeg: Uint8Array;
let png: Uint8Array;
let expected: ScoredImage;

before(async () => {
  const dir = await tempDir('handler');
  jpeg = await makeImage(dir, 'frame.jpg');
  png = await makeImage(dir, 'frame.png', '320x240', 'smptebars');
  const reference = await Classifier.load(await readModelBundle(directoryModelFiles(defaultModelDir)));
  const [result] = await reference.classify([jpeg]);
  assert.equal(result?.status, 'ok');
  expected = result;
  reference.dispose();
});

after(() => setLogSink());

test('the first invocation reports a cold start with its init time, later ones do not', async () => {
  const first = parseWarmupResponse(await handler({ warmup: true }));
  assert.equal(first.coldStart, true);
  assert.ok(first.initMs > 0, `initMs ${first.initMs}`);
  assert.equal(first.model?.name, 'nsfw-mobilenet-v2');
  const second = parseWarmupResponse(await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }));
  assert.deepEqual([second.coldStart, second.initMs], [false, 0]);
  assert.ok(logs.some((entry) => entry.message === 'framescore model ready'));
});

test('a batch is scored like the in-process classifier, and a bad frame fails alone', async () => {
  const request: InvokeRequest = {
    v: 1,
    frames: [
      { id: 'good', image: base64(jpeg) },
      { id: 'not-base64', image: '%%% not base64 %%%' },
      { id: 'not-an-image', image: base64(new TextEncoder().encode('hello, world')) },
      { id: 'png', image: base64(png) },
      { id: 'truncated-jpeg', image: base64(jpeg.subarray(0, 300)) },
    ],
  };
  const response = parseInvokeResponse(await handler(request, { awsRequestId: 'batch-1' }), request) as InvokeResponse;
  const byId = new Map(response.results.map((result) => [result.id, result]));
  const good = byId.get('good');
  assert.equal(good?.status, 'ok');
  for (const [label, score] of Object.entries(expected.scores)) assert.ok(Math.abs(good.scores[label]! - score) < 1e-5, label);
  assert.equal(good.top.label, expected.top.label);
  assert.equal(byId.get('png')?.status, 'ok');
  for (const id of ['not-base64', 'not-an-image', 'truncated-jpeg']) {
    const failed = byId.get(id);
    assert.equal(failed?.status, 'failed', id);
    assert.equal(failed.code, 'INVALID_IMAGE', id);
  }
  const notBase64 = byId.get('not-base64');
  assert.match(notBase64?.status === 'failed' ? notBase64.message : '', /base64/);
  assert.equal(response.timing.coldStart, false);
  assert.ok(response.timing.inferMs > 0);
});

test('invalid events get INVALID_REQUEST naming the problem, never a throw', async () => {
  const cases: Array<[unknown, RegExp]> = [
    ['hello', /event is a string/],
    [null, /event is null/],
    [[1, 2], /event is a list/],
    [{}, /no fields.*expected a batch/],
    [{ detail: 1, foo: 2 }, /fields detail, foo/],
    [{ v: 2, frames: [] }, /"v" must be 1/],
    [{ v: 1, frames: [] }, /"frames" is empty/],
    [{ v: 1, frames: [{ id: 'a', image: 'x' }, { id: 'a', image: 'y' }] }, /repeated/],
    [{ v: 1, frames: [{ id: 'a', image: 42 }] }, /image must be a base64 string/],
    [{ warmup: 'yes' }, /"warmup" must be true/],
    [{ warmup: true, holdMs: -5 }, /holdMs/],
  ];
  for (const [event, message] of cases) {
    const response = (await handler(event)) as { v: number; error: { code: string; message: string } };
    assert.equal(response.v, 1);
    assert.equal(response.error.code, 'INVALID_REQUEST', JSON.stringify(event));
    assert.match(response.error.message, message);
  }
});

test('holdMs keeps the environment busy, capped by the remaining time', async () => {
  let started = performance.now();
  parseWarmupResponse(await handler({ warmup: true, holdMs: 150 }));
  assert.ok(performance.now() - started >= 140);
  started = performance.now();
  await handler({ warmup: true, holdMs: 25_000 }, { getRemainingTimeInMillis: () => 1100 });
  assert.ok(performance.now() - started < 1000, 'hold ends before the invocation would time out');
});

test('each invocation logs one JSON line with counts and no image bytes', async () => {
  logs.length = 0;
  const image = base64(jpeg);
  await handler({ v: 1, frames: [{ id: 'a', image }, { id: 'b', image: 'bad' }] }, { awsRequestId: 'log-check' });
  assert.equal(logs.length, 1);
  const entry = logs[0]!;
  assert.deepEqual(
    { requestId: entry.requestId, kind: entry.kind, frames: entry.frames, ok: entry.ok, failed: entry.failed, coldStart: entry.coldStart },
    { requestId: 'log-check', kind: 'batch', frames: 2, ok: 1, failed: 1, coldStart: false },
  );
  assert.equal(typeof entry.inferMs, 'number');
  assert.ok(!JSON.stringify(entry).includes(image.slice(0, 40)));
});

/**
 * An invocation bounds its own work. In process, with a Lambda clock the test moves
 * (no wall clock): a batch and a sample request stop before the deadline and answer
 * the frames they finished, the rest DEADLINE. End to end, the packaged function under
 * serverless-offline with a 10 s timeout gets one invocation's worth of per-frame seeks
 * that cannot fit in it: the client resends only the frames answered DEADLINE, and the
 * run ends with every frame scored, no CLIENT_TIMEOUT and no Lambda timeout.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Classifier } from '../../src/core/classifier.js';
import { CONTRACT_VERSION, type InvokeResponse } from '../../src/core/contract.js';
import { SAMPLE_KIND, type SampleRequest, type SampleResponse } from '../../src/core/contract-sample.js';
import type { Report } from '../../src/core/report.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { handleBatch } from '../../src/lambda/batch.js';
import { ModelRuntime } from '../../src/lambda/runtime.js';
import { handleSample } from '../../src/lambda/sampling/sample-handler.js';
import { runFfmpeg } from '../helpers/ffmpeg.js';
import { putObject, readBytes } from '../helpers/s3-fixtures.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import { runCli } from '../fanout/run-cli.js';
import { base64, makeImage, startPackagedOffline, tempDir, type PackagedOffline } from './fixtures.js';

// Ports of their own (other offline suites: 3002, 3012, 3022, 3032, 3042, 3052).
const LAMBDA_PORT = 3062;
const HTTP_PORT = 3063;
const FUNCTION = 'framescore-dev-classify';
const FUNCTION_TIMEOUT_S = 10;
const SCORES = { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.05, Sexy: 0.1 };

let s3: S3rverHandle;
let work: string;
let video: { key: string; size: number; etag: string };
let offline: PackagedOffline | undefined;

before(async () => {
  work = await tempDir('deadline');
  s3 = await startS3rver({ buckets: ['media'] });
  // AVI: a container no demuxer indexes, so every frame is one ffmpeg seek in the function (the slow path).
  const file = path.join(work, 'episode.avi');
  await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=12', '-c:v', 'mpeg4', '-q:v', '5', '-g', '25', file]);
  const bytes = await readBytes(file);
  await putObject(s3.endpoint, 'media', 'episodes/episode.avi', bytes);
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'media', Key: 'episodes/episode.avi' }));
  video = { key: 'episodes/episode.avi', size: bytes.length, etag: head.ETag ?? '' };
});

after(async () => {
  await offline?.stop();
  await s3?.stop();
});

/** A classifier that costs `msPerCall` of the fake Lambda clock per model call. */
function fakeRuntime(clock: { left: number }, msPerCall: number): { runtime: ModelRuntime; calls: () => number } {
  let calls = 0;
  const top = { label: 'Neutral', score: 0.7 };
  const classifier = {
    manifest: { input: { width: 64, height: 64 } },
    identity: { name: 'fake', version: '1', sha256: 'f'.repeat(64), labels: Object.keys(SCORES), input: { width: 64, height: 64 } },
    classify: async (images: readonly unknown[]) => {
      calls += 1;
      clock.left -= msPerCall;
      return images.map(() => ({ status: 'ok' as const, scores: { ...SCORES }, top }));
    },
  } as unknown as Classifier;
  return { runtime: new ModelRuntime(async () => ({ source: 'fake', classifier })), calls: () => calls };
}

test('a batch scores in chunks while its clock allows and answers the rest DEADLINE', async () => {
  const jpeg = base64(await makeImage(work, 'frame.jpg', '64x64'));
  const clock = { left: 60_000 };
  // 60 s: reserve 6 s; each 8-frame chunk costs 20 s, so chunks start at 60, 40 and 20 s left, and not at 0.
  const { runtime, calls } = fakeRuntime(clock, 20_000);
  const frames = Array.from({ length: 30 }, (_, i) => ({ id: String(i), image: jpeg }));
  const { response, stats } = await handleBatch({ v: CONTRACT_VERSION, frames }, runtime, () => clock.left);
  const results = (response as InvokeResponse).results;
  assert.equal(calls(), 3);
  assert.deepEqual(results.map((result) => result.id), frames.map((frame) => frame.id), 'one answer per frame, in order');
  assert.deepEqual(results.map((result) => result.status === 'ok' ? 'ok' : result.code), [...Array(24).fill('ok'), ...Array(6).fill('DEADLINE')]);
  assert.equal(stats.deadline, 6);
});

test('a batch whose invocation has time enough answers every frame and no DEADLINE', async () => {
  const jpeg = base64(await makeImage(work, 'frame2.jpg', '64x64'));
  const clock = { left: 60_000 };
  const { runtime } = fakeRuntime(clock, 1000);
  const { response, stats } = await handleBatch({ v: CONTRACT_VERSION, frames: Array.from({ length: 30 }, (_, i) => ({ id: String(i), image: jpeg })) }, runtime, () => clock.left);
  assert.ok((response as InvokeResponse).results.every((result) => result.status === 'ok'));
  assert.equal(stats.deadline, undefined);
});

function seekRequest(count: number): SampleRequest {
  return {
    v: CONTRACT_VERSION, kind: SAMPLE_KIND, object: { uri: `s3://media/${video.key}`, etag: video.etag, size: video.size },
    video: { startTime: 0, rotation: 0, keyframes: false }, fit: 'crop', gops: [],
    seeks: Array.from({ length: count }, (_, i) => ({ id: String(i), requestedTime: 0.2 + i * 0.4 })),
  };
}

test('a sample request stops seeking at its decode cut, kills what runs, scores what it has and answers the rest DEADLINE', async () => {
  // Every look at the clock costs 5 s of a 60 s invocation (reserve 6 s, decode cut at 12 s left), never below 10 s:
  // a few seeks start, then decoding stops; scoring (which stops at 6 s) still has time.
  let looks = 0;
  const clock = { left: 60_000 };
  const remainingMs = (): number => Math.max(10_000, 60_000 - 5_000 * looks++);
  const { runtime } = fakeRuntime(clock, 0);
  const request = seekRequest(20);
  const { response, stats } = await handleSample(request, {
    runtime, access: { prefixes: ['s3://media/episodes/'], ffmpeg: resolveBinaries().ffmpeg }, s3: () => s3.client, remainingMs,
  });
  assert.ok(!('error' in response), JSON.stringify(response));
  const results = (response as SampleResponse).results;
  assert.deepEqual(results.map((result) => result.id), request.seeks.map((seek) => seek.id));
  const codes = results.map((result) => result.status === 'ok' ? 'ok' : result.code);
  assert.ok(codes.every((code) => code === 'ok' || code === 'DEADLINE'), codes.join(' '));
  const ok = codes.filter((code) => code === 'ok').length;
  // At most the seeks that saw 50, 40, 30 and 20 s left (each also reads the clock for its own time limit).
  assert.ok(ok >= 1 && ok <= 4, codes.join(' '));
  assert.equal(stats.deadline, 20 - ok);
  assert.ok(results.filter((result) => result.status === 'ok').every((result) => typeof result.actualTime === 'number'));
});

test('end to end: the packaged function with a 10 s timeout answers before it; the client resends only the rest until every frame is scored', async (t) => {
  offline = await startPackagedOffline({
    lambdaPort: LAMBDA_PORT, httpPort: HTTP_PORT,
    env: { ...s3.env, VIDEO_URI_PREFIXES: 's3://media/episodes/', FFMPEG_PATH: resolveBinaries().ffmpeg, FRAMESCORE_FUNCTION_TIMEOUT: String(FUNCTION_TIMEOUT_S) },
  });
  const out = path.join(work, 'e2e');
  // One invocation (--concurrency 1) of 120 per-frame seeks of an AVI: far more than 10 s of ffmpeg processes.
  const run = await runCli([
    'classify', `s3://media/${video.key}`, '--function', FUNCTION, '--endpoint-url', offline.server.lambdaEndpoint, '--s3-endpoint', s3.endpoint,
    '--sample-on', 'lambda', '--frames', '120', '--concurrency', '1', '--format', 'json', '--out', out, '-v',
  ], { env: s3.env });
  assert.equal(run.code, 0, `${run.stderr}\n${offline.server.output().slice(-2000)}`);
  // serverless-offline does not serve GetFunctionConfiguration: the client says so and keeps its default.
  assert.match(run.stderr, /invoke timeout 30 s \(the default; GetFunctionConfiguration failed/);
  const report = JSON.parse(await readFile(`${out}.json`, 'utf8')) as Report;
  assert.equal(report.frames.length, 120);
  assert.deepEqual(report.frames.filter((frame) => frame.status !== 'ok'), [], 'every frame scored');
  const lambda = report.run.lambda as { invocations: number; failedInvocations: number; deadline?: { invocations: number; frames: number } };
  t.diagnostic(`invocations ${lambda.invocations}, cut at their deadline ${lambda.deadline?.invocations ?? 0}, frames resent ${lambda.deadline?.frames ?? 0}`);
  assert.equal(lambda.failedInvocations, 0, 'no CLIENT_TIMEOUT, no Lambda timeout');
  assert.doesNotMatch(offline.server.output(), /Lambda timeout/);
  // Whether 120 seeks outlast 10 s depends on the machine (the cut itself is proven on a
  // controlled clock above); what must hold either way: nothing lost, and a cut is resent.
  if (lambda.deadline === undefined || lambda.deadline.invocations === 0) {
    assert.ok(report.frames.every((frame) => (frame.attempts ?? 1) === 1), `no cut, so no frame was sent again: ${JSON.stringify(lambda)}`);
    return;
  }
  assert.ok(lambda.deadline.frames < 120 * lambda.deadline.invocations, 'each cut invocation finished some frames');
  assert.ok(report.frames.some((frame) => (frame.attempts ?? 1) > 1), 'frames answered DEADLINE were scored on a later attempt');
  assert.match(run.stderr, /stopped at their deadline with \d+ frames sent again/);
});

/**
 * The packaged episode function on its Lambda runtime's Node major (22, pinned
 * from the npm registry; test/helpers/pinned-node.ts): the unzipped package's
 * index.mjs loaded by Node 22 and handed SQS events, against s3rver (behind the
 * conditional proxy), the local EventBridge and a local Invoke API classifier.
 * serverless-offline itself runs on the machine's Node (its helper spawns
 * process.execPath), so this is the handler on Node 22, not the emulator.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { extractZip } from '../../scripts/lambda-zip.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import type { SqsBatchResponse } from '../../src/lambda/episode/batch-response.js';
import type { ClassifiedDetail, FailedDetail } from '../../src/lambda/episode/outcome.js';
import { startEventBridgeServer, type EventBridgeServer } from '../helpers/eventbridge-server.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeServer } from '../helpers/fake-invoke-server.js';
import { NODE_22, pinnedNode } from '../helpers/pinned-node.js';
import { startConditionalProxy, type ConditionalProxy } from '../helpers/s3-conditional-proxy.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import { fixture } from '../helpers/videos.js';
import { base64, defaultModelDir, makeImage, tempDir, unpackedPackage } from '../lambda/fixtures.js';
import { objectCreatedEvent, sqsEvent, sqsRecord } from './events.js';
import { episodePackage } from './offline.js';

const BUCKET = 'media';
let node22: string;
let unzipped: string;
let s3: S3rverHandle;
let proxy: ConditionalProxy;
let bus: EventBridgeServer;
let classifier: FakeInvokeServer;

before(async () => {
  node22 = await pinnedNode();
  unzipped = await tempDir('episode-node22');
  await extractZip(new Uint8Array(await readFile((await episodePackage()).out)), unzipped);
  s3 = await startS3rver({ buckets: [BUCKET] });
  proxy = await startConditionalProxy(s3.endpoint);
  bus = await startEventBridgeServer();
  const model = await bundledModelIdentity(defaultModelDir);
  classifier = await startFakeInvokeServer({ handler: framescoreHandler(cannedClassifier(model, { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.05, Sexy: 0.1 })) });
});

after(async () => {
  await classifier?.stop();
  await bus?.stop();
  await proxy?.stop();
  await s3?.stop();
});

// Loads the handler once (one environment) and feeds it the events in turn, as Lambda would.
const RUNNER = `
const { handler } = await import(process.env.EPISODE_HANDLER_URL);
const events = JSON.parse(process.env.EPISODE_EVENTS);
const responses = [];
for (const event of events) responses.push(await handler(event, { awsRequestId: 'r', getRemainingTimeInMillis: () => 120000 }));
process.stdout.write(JSON.stringify({ node: process.version, responses }));
`;

function runOnNode22(events: unknown[]): Promise<{ node: string; responses: SqsBatchResponse[]; stderr: string }> {
  return runHandlerOnNode22(unzipped, events, {
        AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1',
        VIDEO_BUCKET: BUCKET, INPUT_PREFIX: 'incoming/', REPORT_PREFIX: 'framescore/', CLASSIFIER_FUNCTION: 'framescore-classifier',
        FRAMES: '3', SAMPLE_ON: 'local', CLASSIFIER_CONCURRENCY: '2', MAX_RECEIVE_COUNT: '3',
        AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_ENDPOINT_URL_LAMBDA: classifier.endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
  }) as Promise<{ node: string; responses: SqsBatchResponse[]; stderr: string }>;
}

/** A package's index.mjs handler, in a Node 22 process with cwd at the package root (as /var/task), fed the events in turn. */
function runHandlerOnNode22(dir: string, events: unknown[], env: Record<string, string>): Promise<{ node: string; responses: unknown[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node22, ['--input-type=module', '-e', RUNNER], {
      cwd: dir,
      env: {
        // The ffmpeg layer's /opt/bin is on Lambda's PATH: here the directory of the ffmpeg the tests resolve (the npm build on a machine without one).
        PATH: [path.dirname(resolveBinaries().ffmpeg), process.env.PATH ?? ''].join(path.delimiter), HOME: process.env.HOME ?? '/tmp', ...env,
        EPISODE_HANDLER_URL: new URL(`file://${path.join(dir, 'index.mjs')}`).href, EPISODE_EVENTS: JSON.stringify(events),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) { reject(new Error(`the handler on Node 22 exited ${code}:\n${stderr.slice(-3000)}`)); return; }
      const last = stdout.trim().split('\n').pop() ?? '';
      resolve({ ...(JSON.parse(last) as { node: string; responses: unknown[] }), stderr });
    });
  });
}

test(`on Node ${NODE_22.version} the packaged handler classifies an episode, finds it again on redelivery, and reports a deleted one`, async () => {
  const video = new Uint8Array(await readFile(await fixture('h264.mp4')));
  const put = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/ep.mp4', Body: video }));
  const created = JSON.stringify(objectCreatedEvent(BUCKET, 'incoming/ep.mp4', put.ETag!.replaceAll('"', ''), video.byteLength));
  const gone = JSON.stringify(objectCreatedEvent(BUCKET, 'incoming/gone.mp4', 'abc', 1));
  const run = await runOnNode22([sqsEvent(sqsRecord(created)), sqsEvent(sqsRecord(created, 2)), sqsEvent(sqsRecord(gone))]);
  assert.equal(run.node, `v${NODE_22.version}`);
  assert.deepEqual(run.responses, [{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }], run.stderr.slice(-2000));
  assert.doesNotMatch(run.stderr, /NodeVersionSupportWarning/, 'the AWS SDK is content with Node 22');
  const [first, second] = bus.events.filter((event) => event.detail.key === 'incoming/ep.mp4').map((event) => event.detail as unknown as ClassifiedDetail);
  assert.deepEqual([first?.reused, first?.frames], [false, { total: 3, ok: 3, failed: 0 }]);
  assert.equal(second?.reused, true);
  assert.equal((bus.events.find((event) => event.detail.key === 'incoming/gone.mp4')?.detail as unknown as FailedDetail).cause.code, 'OBJECT_DELETED');
});

test(`on Node ${NODE_22.version} the packaged classifier (ONNX Runtime's N-API binding, from its layer) warms up and scores a frame`, async () => {
  const pkg = await unpackedPackage('x86_64');
  try {
    const jpeg = await makeImage(await tempDir('node22-frame'), 'frame.jpg');
    const run = await runHandlerOnNode22(pkg.dir, [{ warmup: true }, { v: 1, frames: [{ id: 'f', image: base64(jpeg) }] }], { ...pkg.env });
    assert.equal(run.node, `v${NODE_22.version}`);
    const [warm, scored] = run.responses as [{ warm: boolean; model: { name: string } }, { results: Array<{ id: string; status: string; scores: Record<string, number> }> }];
    assert.equal(warm.warm, true);
    assert.equal(warm.model.name, 'nsfw-mobilenet-v2');
    assert.equal(scored.results[0]?.status, 'ok', JSON.stringify(scored));
    const total = Object.values(scored.results[0]!.scores).reduce((sum, score) => sum + score, 0);
    assert.ok(Math.abs(total - 1) < 1e-4, `softmax scores sum to ${total}`);
  } finally {
    await pkg.cleanup();
  }
});

/**
 * A burst: 30 short episodes land at once; the queue feeds the packaged
 * episode function (serverless-offline, 3094) through an event source mapping
 * capped at 3 episodes in flight (test/helpers/sqs-lambda-poller.ts). Every
 * episode gets one report, none twice, and the classifier (a local Invoke API
 * that counts what is in flight) never sees more than 3 × the per-episode
 * concurrency.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ClassifiedDetail } from '../../src/lambda/episode/outcome.js';
import { startEventBridgeServer, type EventBridgeServer } from '../helpers/eventbridge-server.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeServer } from '../helpers/fake-invoke-server.js';
import { startConditionalProxy, type ConditionalProxy } from '../helpers/s3-conditional-proxy.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import type { OfflineServer } from '../helpers/serverless-offline.js';
import { drainQueue } from '../helpers/sqs-lambda-poller.js';
import { startSqsServer, type SqsServer } from '../helpers/sqs-server.js';
import { fixture } from '../helpers/videos.js';
import { defaultModelDir } from '../lambda/fixtures.js';
import { objectCreatedEvent } from './events.js';
import { EPISODE_FUNCTION, startEpisodeOffline } from './offline.js';

const EPISODE_PORT = 3094; // and 3095
const BUCKET = 'media';
const EPISODES = 30;
const EPISODE_CONCURRENCY = 3;
const CLASSIFIER_CONCURRENCY = 2;
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

let s3: S3rverHandle;
let proxy: ConditionalProxy;
let bus: EventBridgeServer;
let sqs: SqsServer;
let classifier: FakeInvokeServer;
let episode: OfflineServer | undefined;

before(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  proxy = await startConditionalProxy(s3.endpoint);
  bus = await startEventBridgeServer();
  sqs = await startSqsServer([{ name: 'episodes-dlq' }, { name: 'episodes', visibilityTimeoutSeconds: 600, redrive: { deadLetter: 'episodes-dlq', maxReceiveCount: 3 } }]);
  const model = await bundledModelIdentity(defaultModelDir);
  classifier = await startFakeInvokeServer({ handler: framescoreHandler(cannedClassifier(model, { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.05, Sexy: 0.1 })), functions: ['framescore-classifier'],
    // Answers take a while, as a real function's do, so that invocations pile up against the caps.
    serviceMs: 300 });
  episode = await startEpisodeOffline({
    lambdaPort: EPISODE_PORT, httpPort: EPISODE_PORT + 1, timeoutSeconds: 300,
    environment: {
      ...CREDENTIALS, VIDEO_BUCKET: BUCKET, INPUT_PREFIX: 'incoming/', REPORT_PREFIX: 'framescore/', CLASSIFIER_FUNCTION: 'framescore-classifier',
      FRAMES: '4', SAMPLE_ON: 'local', CLASSIFIER_CONCURRENCY: String(CLASSIFIER_CONCURRENCY), MAX_RECEIVE_COUNT: '3',
      AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_ENDPOINT_URL_LAMBDA: classifier.endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
    },
  });
});

after(async () => {
  await episode?.stop();
  await classifier?.stop();
  await sqs?.stop();
  await bus?.stop();
  await proxy?.stop();
  await s3?.stop();
});

test(`${EPISODES} episodes at once, ${EPISODE_CONCURRENCY} at a time: every report once, the classifier's peak within ${EPISODE_CONCURRENCY} × ${CLASSIFIER_CONCURRENCY}`, async () => {
  const video = new Uint8Array(await readFile(await fixture('h264.mp4')));
  const events: string[] = [];
  for (let i = 0; i < EPISODES; i += 1) {
    // Each a distinct object (one byte apart), as distinct episodes are.
    const body = new Uint8Array([...video, i]);
    const key = `incoming/burst/ep${String(i).padStart(2, '0')}.mp4`;
    const put = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    events.push(JSON.stringify(objectCreatedEvent(BUCKET, key, put.ETag!.replaceAll('"', ''), body.byteLength)));
  }
  const sqsClient = new SQSClient({ region: 'us-east-1', endpoint: sqs.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const lambda = new LambdaClient({ endpoint: episode!.lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    // What the EventBridge rule does as the uploads land: one message per event.
    for (let start = 0; start < events.length; start += 10) {
      await sqsClient.send(new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl('episodes'), Entries: events.slice(start, start + 10).map((body, i) => ({ Id: String(i), MessageBody: body })) }));
    }
    const stats = await drainQueue({
      sqs: sqsClient, lambda, queueUrl: sqs.queueUrl('episodes'), queueArn: 'arn:aws:sqs:us-east-1:111122223333:episodes',
      functionName: EPISODE_FUNCTION, maxConcurrency: EPISODE_CONCURRENCY, visibilityTimeoutSeconds: 600,
    });
    assert.deepEqual({ invocations: stats.invocations, deleted: stats.deleted, retried: stats.retried, functionErrors: stats.functionErrors }, { invocations: EPISODES, deleted: EPISODES, retried: 0, functionErrors: 0 });
    assert.ok(stats.peakConcurrency <= EPISODE_CONCURRENCY && stats.peakConcurrency > 1, `episodes ran side by side, within the cap: peak ${stats.peakConcurrency}`);
  } finally {
    sqsClient.destroy();
    lambda.destroy();
  }
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'framescore/incoming/burst/' }));
  const reports = (listed.Contents ?? []).map((object) => object.Key!).filter((key) => key.endsWith('.json'));
  assert.equal(reports.length, EPISODES);
  assert.equal(new Set(reports.map((key) => key.split('/')[3])).size, EPISODES, 'one report per episode');
  const classified = bus.events.filter((event) => event.detailType === 'Episode Classified').map((event) => event.detail as unknown as ClassifiedDetail);
  assert.equal(classified.length, EPISODES);
  assert.ok(classified.every((detail) => !detail.reused && detail.frames.ok === 4));
  assert.equal(sqs.bodies('episodes-dlq').length, 0);
  assert.ok(classifier.stats.maxInFlight <= EPISODE_CONCURRENCY * CLASSIFIER_CONCURRENCY, `the classifier saw ${classifier.stats.maxInFlight} invocations at once`);
});

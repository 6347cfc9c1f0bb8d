/**
 * Limits, with the packaged episode function under serverless-offline (3092)
 * and a classifier that misbehaves on purpose: a local server speaking the
 * Lambda Invoke API (test/helpers/fake-invoke-server.ts), which throttles or
 * holds its answers when a test says so. Sampling is local (SAMPLE_ON=local)
 * because that classifier scores frames but does not sample.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ModelIdentity } from '../../src/core/model-manifest.js';
import type { ClassifiedDetail, FailedDetail } from '../../src/lambda/episode/outcome.js';
import { startEventBridgeServer, type EventBridgeServer } from '../helpers/eventbridge-server.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type Fault, type FakeInvokeServer, type InvokeHandler } from '../helpers/fake-invoke-server.js';
import { startConditionalProxy, type ConditionalProxy } from '../helpers/s3-conditional-proxy.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import type { OfflineServer } from '../helpers/serverless-offline.js';
import { fixture } from '../helpers/videos.js';
import { drainQueue } from '../helpers/sqs-lambda-poller.js';
import { startSqsServer, type SqsServer } from '../helpers/sqs-server.js';
import { runCli } from '../helpers/s3-fixtures.js';
import { defaultModelDir } from '../lambda/fixtures.js';
import { objectCreatedEvent } from './events.js';
import { deliver as deliverEpisode, EPISODE_FUNCTION, startEpisodeOffline } from './offline.js';

const EPISODE_PORT = 3092; // and 3093
const BUCKET = 'media';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
/**
 * The function's timeout: it gives up max(10 s, 10 %) before, so after 50 s of work here. The
 * DEADLINE test waits that long; the others need far less than 50 s for 4 frames even on a slow
 * machine (20 s left 10 s, which a loaded CI could spend on a cold start).
 */
const TIMEOUT_SECONDS = 60;
const SCORES = { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.05, Sexy: 0.1 };

let s3: S3rverHandle;
let proxy: ConditionalProxy;
let bus: EventBridgeServer;
let classifier: FakeInvokeServer;
let episode: OfflineServer | undefined;
let lambda: LambdaClient;
let video: Uint8Array;
let model: ModelIdentity;
let sqs: SqsServer;

/** What the classifier does to frame batches (warm-ups always answer): the tests switch it. */
let behaviour: { throttleNext: number; hold: Promise<void> | undefined; failFrames?: boolean } = { throttleNext: 0, hold: undefined };

before(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  proxy = await startConditionalProxy(s3.endpoint);
  bus = await startEventBridgeServer();
  sqs = await startSqsServer([{ name: 'dlq' }, { name: 'episodes', visibilityTimeoutSeconds: 0, redrive: { deadLetter: 'dlq', maxReceiveCount: 3 } }]);
  video = new Uint8Array(await readFile(await fixture('h264.mp4')));
  model = await bundledModelIdentity(defaultModelDir);
  const canned = cannedClassifier(model, SCORES);
  const scoring = framescoreHandler({
    model,
    classify: (images) => behaviour.failFrames === true
      ? images.map(() => ({ status: 'failed' as const, code: 'INFERENCE_FAILED' as const, message: 'failed on purpose by the test' }))
      : canned.classify(images),
  });
  const handler: InvokeHandler = async (event, context) => {
    const warmup = typeof event === 'object' && event !== null && (event as { warmup?: unknown }).warmup === true;
    if (!warmup && behaviour.hold !== undefined) await behaviour.hold;
    return scoring(event, context);
  };
  const faults = (): Fault | undefined => {
    if (behaviour.throttleNext <= 0) return undefined;
    behaviour.throttleNext -= 1;
    return { kind: 'throttle' };
  };
  classifier = await startFakeInvokeServer({ handler, faults, functions: ['framescore-classifier'] });
  episode = await startEpisodeOffline({
    lambdaPort: EPISODE_PORT, httpPort: EPISODE_PORT + 1, timeoutSeconds: TIMEOUT_SECONDS,
    environment: {
      ...CREDENTIALS, VIDEO_BUCKET: BUCKET, INPUT_PREFIX: 'incoming/', REPORT_PREFIX: 'framescore/', CLASSIFIER_FUNCTION: 'framescore-classifier',
      FRAMES: '4', SAMPLE_ON: 'local', CLASSIFIER_CONCURRENCY: '2', MAX_RECEIVE_COUNT: '3', CLASSIFIER_INVOKE_TIMEOUT_MS: '60000',
      AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_ENDPOINT_URL_LAMBDA: classifier.endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      // The template's is 30 s × the delivery's number; 1 s keeps the poison test short.
      AWS_ENDPOINT_URL_SQS: sqs.endpoint, RETRY_BACKOFF_SECONDS: '1',
    },
  });
  lambda = new LambdaClient({ endpoint: episode.lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

after(async () => {
  lambda?.destroy();
  await episode?.stop();
  await classifier?.stop();
  await bus?.stop();
  await proxy?.stop();
  await sqs?.stop();
  await s3?.stop();
});

async function upload(key: string): Promise<Record<string, unknown>> {
  const put = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: video }));
  return objectCreatedEvent(BUCKET, key, put.ETag!.replaceAll('"', ''), video.byteLength);
}

function deliver(body: unknown, receiveCount: number, messageId?: string): ReturnType<typeof deliverEpisode> {
  return deliverEpisode(lambda, episode!, body, receiveCount, messageId);
}

test('a throttled classifier is backed off and retried: the episode is classified with every frame', async () => {
  behaviour = { throttleNext: 3, hold: undefined };
  const throttledBefore = classifier.stats.throttled;
  const { response } = await deliver(await upload('incoming/throttled.mp4'), 1);
  assert.deepEqual(response, { batchItemFailures: [] });
  assert.equal(classifier.stats.throttled - throttledBefore, 3);
  const event = bus.events.find((candidate) => candidate.detail.key === 'incoming/throttled.mp4');
  assert.equal(event?.detailType, 'Episode Classified');
  const detail = event.detail as unknown as ClassifiedDetail;
  assert.deepEqual(detail.frames, { total: 4, ok: 4, failed: 0 });
  assert.equal(detail.labels.Neutral?.max, SCORES.Neutral);
});

test('an episode that cannot finish in time fails with DEADLINE before the function is killed, is retried, and the retry writes the one report', async () => {
  let release!: () => void;
  behaviour = { throttleNext: 0, hold: new Promise<void>((resolve) => { release = resolve; }) };
  const created = await upload('incoming/long.mp4');
  let first: Awaited<ReturnType<typeof deliver>>;
  try {
    first = await deliver(created, 1, 'long-message');
  } finally {
    release();
    behaviour = { throttleNext: 0, hold: undefined };
  }
  // The function answered (no FunctionError: it was not killed) and asked SQS to deliver the message again.
  assert.deepEqual(first.response, { batchItemFailures: [{ itemIdentifier: 'long-message' }] });
  const failed = bus.events.find((event) => event.detail.key === 'incoming/long.mp4');
  assert.equal(failed?.detailType, 'Episode Failed');
  const cause = (failed.detail as unknown as FailedDetail);
  assert.equal(cause.cause.code, 'DEADLINE');
  assert.equal(cause.willRetry, true);
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'framescore/incoming/long.mp4/' }));
  assert.equal(listed.KeyCount ?? 0, 0, 'nothing half-written');

  const second = await deliver(created, 2, 'long-message');
  assert.deepEqual(second.response, { batchItemFailures: [] });
  const done = bus.events.filter((event) => event.detail.key === 'incoming/long.mp4' && event.detailType === 'Episode Classified');
  assert.equal(done.length, 1);
  const keys = (await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'framescore/incoming/long.mp4/' }))).Contents?.map((object) => object.Key);
  assert.equal(keys?.length, 3);
});

test('a poison video is retried after a short backoff and goes to the dead-letter queue after MaxReceiveCount deliveries, each with its cause, and framescore status shows it', async () => {
  const client = new SQSClient({ region: 'us-east-1', endpoint: sqs.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    const junk = new Uint8Array(await readFile(await fixture('not-a-video.mp4')));
    const put = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/poison.mp4', Body: junk }));
    await client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('episodes'), MessageBody: JSON.stringify(objectCreatedEvent(BUCKET, 'incoming/poison.mp4', put.ETag!.replaceAll('"', ''), junk.byteLength)) }));
    const stats = await drainQueue({ sqs: client, lambda, queueUrl: sqs.queueUrl('episodes'), queueArn: 'arn:aws:sqs:us-east-1:111122223333:episodes', functionName: EPISODE_FUNCTION, maxConcurrency: 1, visibilityTimeoutSeconds: 0 });
    assert.deepEqual({ invocations: stats.invocations, retried: stats.retried, deleted: stats.deleted }, { invocations: 3, retried: 3, deleted: 0 });
    assert.equal(sqs.bodies('dlq').length, 1);
    // Each retry came back after a short backoff (RETRY_BACKOFF_SECONDS × delivery), not the queue's visibility timeout.
    assert.deepEqual(sqs.visibilityChanges.filter((change) => change.queue === 'episodes').map((change) => change.seconds), [1, 2, 3]);
    const failures = bus.events.filter((event) => event.detail.key === 'incoming/poison.mp4').map((event) => event.detail as unknown as FailedDetail);
    assert.deepEqual(failures.map((detail) => [detail.cause.code, detail.attempt, detail.willRetry, detail.deadLettered]), [
      ['INPUT_UNREADABLE', 1, true, false], ['INPUT_UNREADABLE', 2, true, false], ['INPUT_UNREADABLE', 3, false, true],
    ]);
    const status = await runCli(['status', '--queue-url', sqs.queueUrl('episodes'), '--dead-letter-queue-url', sqs.queueUrl('dlq')], CREDENTIALS);
    assert.equal(status.code, 3, status.stderr);
    assert.match(status.stdout, /dead-letter {2}1 episode .*\n {2}s3:\/\/media\/incoming\/poison\.mp4 {2}received 3×/);
  } finally {
    client.destroy();
  }
});

test('frames that fail on the last delivery give a .partial report, never reused: the next delivery classifies again and the complete report takes the normal keys', async () => {
  const created = await upload('incoming/partial.mp4');
  behaviour = { throttleNext: 0, hold: undefined, failFrames: true };
  try {
    const first = await deliver(created, 1);
    assert.deepEqual(first.response, { batchItemFailures: [{ itemIdentifier: first.messageId }] }, 'not the last delivery: retried');
    const last = await deliver(created, 3);
    assert.deepEqual(last.response, { batchItemFailures: [] });
  } finally {
    behaviour = { throttleNext: 0, hold: undefined };
  }
  const classified = () => bus.events.filter((event) => event.detail.key === 'incoming/partial.mp4' && event.detailType === 'Episode Classified').map((event) => event.detail as unknown as ClassifiedDetail);
  const [partial] = classified();
  assert.deepEqual(partial?.frames, { total: 4, ok: 0, failed: 4 });
  assert.match(partial.reports.json, /\.partial\.json$/);
  // A later submit (or delivery) of the same object: not reused, classified again, under the normal keys.
  assert.deepEqual((await deliver(created, 1)).response, { batchItemFailures: [] });
  const complete = classified()[1]!;
  assert.equal(complete.reused, false);
  assert.deepEqual(complete.frames, { total: 4, ok: 4, failed: 0 });
  assert.equal(complete.reports.json, partial.reports.json.replace(/\.partial\.json$/, '.json'));
  const keys = (await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'framescore/incoming/partial.mp4/' }))).Contents?.map((object) => object.Key!.replace(/^.*\//, '').replace(/^[^.]*\.[0-9a-f]{12}/, '')).sort();
  assert.deepEqual(keys, ['.csv', '.html', '.json', '.partial.csv', '.partial.html', '.partial.json']);
});

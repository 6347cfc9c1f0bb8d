/**
 * The unattended flow end to end on local parts: s3rver (behind a proxy that
 * adds S3's conditional requests), the packaged classifier and the packaged
 * episode function under serverless-offline, and a local EventBridge PutEvents
 * server. The episode function is invoked with SQS events whose bodies are S3's
 * "Object Created" events as EventBridge delivers them (events.ts).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Report } from '../../src/core/report.js';
import type { ClassifiedDetail, FailedDetail } from '../../src/lambda/episode/outcome.js';
import { startEventBridgeServer, type CapturedEvent, type EventBridgeServer } from '../helpers/eventbridge-server.js';
import { startConditionalProxy, type ConditionalProxy } from '../helpers/s3-conditional-proxy.js';
import { runCli } from '../helpers/s3-fixtures.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import type { OfflineServer } from '../helpers/serverless-offline.js';
import { fixture } from '../helpers/videos.js';
import { startPackagedOffline, tempDir, type PackagedOffline } from '../lambda/fixtures.js';
import { objectCreatedEvent } from './events.js';
import { toCsv } from '../../src/core/report-formats.js';
import { deliver as deliverEpisode, startEpisodeOffline } from './offline.js';

const CLASSIFIER_PORT = 3082; // and 3083
const EPISODE_PORT = 3084; // and 3085
const CLASSIFIER = 'framescore-dev-classify';
const BUCKET = 'media';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

let s3: S3rverHandle;
let proxy: ConditionalProxy;
let bus: EventBridgeServer;
let classifier: PackagedOffline | undefined;
let episode: OfflineServer | undefined;
let lambda: LambdaClient;
let video: Uint8Array;

before(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  proxy = await startConditionalProxy(s3.endpoint);
  bus = await startEventBridgeServer();
  video = new Uint8Array(await readFile(await fixture('h264.mp4')));
  classifier = await startPackagedOffline({
    lambdaPort: CLASSIFIER_PORT, httpPort: CLASSIFIER_PORT + 1,
    env: { ...CREDENTIALS, VIDEO_URI_PREFIXES: `s3://${BUCKET}/incoming/`, AWS_ENDPOINT_URL_S3: proxy.endpoint },
  });
  episode = await startEpisodeOffline({
    lambdaPort: EPISODE_PORT, httpPort: EPISODE_PORT + 1, timeoutSeconds: 120,
    environment: {
      ...CREDENTIALS, VIDEO_BUCKET: BUCKET, INPUT_PREFIX: 'incoming/', REPORT_PREFIX: 'framescore/', CLASSIFIER_FUNCTION: CLASSIFIER,
      FRAMES: '6', THRESHOLD: '0.5', SAMPLE_ON: 'auto', CLASSIFIER_CONCURRENCY: '4', MAX_RECEIVE_COUNT: '3', EVENT_BUS_NAME: 'media-events',
      AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_ENDPOINT_URL_LAMBDA: classifier.server.lambdaEndpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
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
  await s3?.stop();
});

/** Puts an object the way an uploader would and returns S3's "Object Created" event for it. */
async function upload(key: string, body: Uint8Array): Promise<Record<string, unknown>> {
  const put = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return objectCreatedEvent(BUCKET, key, put.ETag!.replaceAll('"', ''), body.byteLength);
}

function deliver(body: unknown, receiveCount = 1, messageId?: string): ReturnType<typeof deliverEpisode> {
  return deliverEpisode(lambda, episode!, body, receiveCount, messageId);
}

function eventsFor(key: string): CapturedEvent[] {
  return bus.events.filter((event) => event.detail.key === key);
}

async function readText(client: S3Client, key: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return object.Body!.transformToString();
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

test('an episode is classified: JSON, CSV and HTML reports under the report prefix, the same scores as framescore classify, an Episode Classified event', async () => {
  const created = await upload('incoming/ep1.mp4', video);
  const { response } = await deliver(created);
  assert.deepEqual(response, { batchItemFailures: [] });

  const [event] = eventsFor('incoming/ep1.mp4');
  assert.ok(event !== undefined, 'an event was published');
  assert.equal(event.source, 'framescore');
  assert.equal(event.detailType, 'Episode Classified');
  assert.equal(event.eventBusName, 'media-events');
  const detail = event.detail as unknown as ClassifiedDetail;
  const etag = (created.detail as { object: { etag: string } }).object.etag;
  assert.equal(detail.etag, etag);
  assert.equal(detail.reused, false);
  assert.deepEqual(detail.frames, { total: 6, ok: 6, failed: 0 });
  const base = `framescore/incoming/ep1.mp4/e-${etag}.${detail.optionsHash}`;
  assert.deepEqual(detail.reports, { json: `s3://${BUCKET}/${base}.json`, csv: `s3://${BUCKET}/${base}.csv`, html: `s3://${BUCKET}/${base}.html` });
  assert.deepEqual(await keysUnder('framescore/'), [`${base}.csv`, `${base}.html`, `${base}.json`]);
  assert.deepEqual(event.resources, [`arn:aws:s3:::${BUCKET}/${base}.json`], 'PutEvents Resources are ARNs');

  const report = JSON.parse(await readText(s3.client, `${base}.json`)) as Report;
  assert.equal(report.run.sampledOn, 'lambda', 'the classifier fleet sampled the episode');
  assert.match(await readText(s3.client, `${base}.csv`), /^video,index,/);
  // One thumbnail per frame (data: URIs; the page's CSP allows nothing else).
  const thumbnails = new Set((await readText(s3.client, `${base}.html`)).match(/data:image\/(jpeg|png);base64,[A-Za-z0-9+/=]+/g));
  assert.equal(thumbnails.size, 6);
  for (const [label, facts] of Object.entries(report.summary.labels)) assert.equal(detail.labels[label]?.max, facts.max, label);

  // The same object through the CLI, on the same classifier: the same frames and scores.
  const out = await tempDir('episode-cli');
  const cli = await runCli(['classify', `s3://${BUCKET}/incoming/ep1.mp4`, '--function', CLASSIFIER, '--endpoint-url', classifier!.server.lambdaEndpoint,
    '--region', 'us-east-1', '--s3-endpoint', proxy.endpoint, '--frames', '6', '--out', path.join(out, 'ep1'), '--format', 'json'], CREDENTIALS);
  assert.equal(cli.code, 0, cli.stderr);
  const expected = JSON.parse(await readFile(path.join(out, 'ep1.json'), 'utf8')) as Report;
  assert.equal(report.frames.length, expected.frames.length);
  for (const [i, frame] of report.frames.entries()) {
    const other = expected.frames[i]!;
    assert.ok(frame.status === 'ok' && other.status === 'ok');
    assert.equal(frame.actualTime, other.actualTime);
    for (const [label, score] of Object.entries(other.scores)) assert.ok(Math.abs(frame.scores[label]! - score) < 1e-6, `frame ${i} ${label}: ${frame.scores[label]} vs ${score}`);
  }
});

test('a duplicate delivery finds the report, does no work, and publishes the same report again marked reused', async () => {
  const created = await upload('incoming/dup.mp4', video);
  const first = await deliver(created);
  assert.deepEqual(first.response, { batchItemFailures: [] });
  const reportsAfterFirst = await keysUnder('framescore/incoming/dup.mp4/');
  const requestsBefore = proxy.requests.length;
  const second = await deliver(created, 2);
  assert.deepEqual(second.response, { batchItemFailures: [] });
  const secondRequests = proxy.requests.slice(requestsBefore);
  assert.ok(!secondRequests.some((request) => request === `GET /${BUCKET}/incoming/dup.mp4`), `the video was not read again: ${secondRequests.join(', ')}`);
  assert.ok(!secondRequests.some((request) => request.startsWith('PUT ')), `nothing was written: ${secondRequests.join(', ')}`);
  assert.deepEqual(await keysUnder('framescore/incoming/dup.mp4/'), reportsAfterFirst);
  const events = eventsFor('incoming/dup.mp4').map((event) => event.detail as unknown as ClassifiedDetail);
  assert.deepEqual(events.map((detail) => detail.reused), [false, true]);
  assert.deepEqual(events[1]!.reports, events[0]!.reports);
  assert.deepEqual(events[1]!.frames, events[0]!.frames);
});

test('a deleted object fails once with OBJECT_DELETED and is not retried', async () => {
  const created = await upload('incoming/gone.mp4', video);
  await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'incoming/gone.mp4' }));
  const { response } = await deliver(created);
  assert.deepEqual(response, { batchItemFailures: [] }, 'deleted from the queue: retrying cannot help');
  const [event] = eventsFor('incoming/gone.mp4');
  assert.equal(event?.detailType, 'Episode Failed');
  const detail = event.detail as unknown as FailedDetail;
  assert.equal(detail.cause.code, 'OBJECT_DELETED');
  assert.equal(detail.willRetry, false);
  assert.equal(detail.deadLettered, false);
  assert.deepEqual(await keysUnder('framescore/incoming/gone.mp4'), []);
});

test('an object replaced after its event fails with OBJECT_CHANGED (its new version has its own event)', async () => {
  const created = await upload('incoming/changed.mp4', video);
  const newer = await upload('incoming/changed.mp4', new Uint8Array([...video, 0]));
  const { response } = await deliver(created);
  assert.deepEqual(response, { batchItemFailures: [] });
  const [event] = eventsFor('incoming/changed.mp4');
  assert.equal(event?.detailType, 'Episode Failed');
  assert.equal((event.detail as unknown as FailedDetail).cause.code, 'OBJECT_CHANGED');
  assert.deepEqual(await keysUnder('framescore/incoming/changed.mp4'), []);
  // The newer version's own event classifies it.
  assert.deepEqual((await deliver(newer)).response, { batchItemFailures: [] });
  assert.equal(eventsFor('incoming/changed.mp4')[1]?.detailType, 'Episode Classified');
});

test('a corrupt video is retried (partial batch response), and its last delivery says it goes to the dead-letter queue, with the cause', async () => {
  const created = await upload('incoming/corrupt.mp4', new Uint8Array(await readFile(await fixture('not-a-video.mp4'))));
  const first = await deliver(created, 1);
  assert.deepEqual(first.response, { batchItemFailures: [{ itemIdentifier: first.messageId }] });
  const last = await deliver(created, 3);
  assert.deepEqual(last.response, { batchItemFailures: [{ itemIdentifier: last.messageId }] });
  const details = eventsFor('incoming/corrupt.mp4').map((event) => { assert.equal(event.detailType, 'Episode Failed'); return event.detail as unknown as FailedDetail; });
  assert.deepEqual(details.map((detail) => [detail.cause.code, detail.attempt, detail.willRetry, detail.deadLettered]), [['INPUT_UNREADABLE', 1, true, false], ['INPUT_UNREADABLE', 3, false, true]]);
  assert.match(details[0]!.cause.message, /corrupt\.mp4/);
  assert.deepEqual(await keysUnder('framescore/incoming/corrupt.mp4'), []);
});

test('a message that is not an S3 event or a submit message fails with INVALID_MESSAGE and is dropped; keys outside the input prefix are refused', async () => {
  const junk = await deliver('not json at all');
  assert.deepEqual(junk.response, { batchItemFailures: [] });
  const invalid = bus.events.filter((event) => (event.detail as unknown as FailedDetail).cause?.code === 'INVALID_MESSAGE');
  assert.equal(invalid.length, 1);
  const outside = await deliver(objectCreatedEvent(BUCKET, 'framescore/incoming/ep1.mp4/x.mp4', 'abc', 1));
  assert.deepEqual(outside.response, { batchItemFailures: [] });
  assert.equal((eventsFor('framescore/incoming/ep1.mp4/x.mp4')[0]?.detail as unknown as FailedDetail).cause.code, 'NOT_AN_INPUT');
});

test('the nearest _framescore.json overrides the stack\'s options for its folder; a bad one fails with CONFIG_INVALID', async () => {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/show/_framescore.json', Body: JSON.stringify({ frames: 3, threshold: 0.9 }) }));
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/show/bad/_framescore.json', Body: JSON.stringify({ frame: 3 }) }));
  const good = await deliver(await upload('incoming/show/s01/ep1.mp4', video));
  assert.deepEqual(good.response, { batchItemFailures: [] });
  const detail = eventsFor('incoming/show/s01/ep1.mp4')[0]!.detail as unknown as ClassifiedDetail;
  assert.deepEqual(detail.frames, { total: 3, ok: 3, failed: 0 });
  assert.equal(detail.threshold, 0.9);
  assert.deepEqual(detail.options, { frames: 3, threshold: 0.9, keyframes: false, sampleOn: 'auto', concurrency: 4 });
  const bad = await deliver(await upload('incoming/show/bad/ep1.mp4', video));
  assert.deepEqual(bad.response, { batchItemFailures: [] });
  const failed = eventsFor('incoming/show/bad/ep1.mp4')[0]!.detail as unknown as FailedDetail;
  assert.equal(failed.cause.code, 'CONFIG_INVALID');
  assert.match(failed.cause.message, /_framescore\.json sets frame; only every, frames/);
});

test('a delivery that crashed after committing the JSON but before the CSV and HTML: the redelivery writes them from the stored JSON', async () => {
  const created = await upload('incoming/crashed.mp4', video);
  assert.deepEqual((await deliver(created)).response, { batchItemFailures: [] });
  const first = eventsFor('incoming/crashed.mp4')[0]!.detail as unknown as ClassifiedDetail;
  const base = first.reports.json.replace(`s3://${BUCKET}/`, '').replace(/\.json$/, '');
  // What the crashed delivery left: the JSON (the commit point) alone.
  for (const extension of ['csv', 'html']) await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${base}.${extension}` }));
  const { response } = await deliver(created, 2);
  assert.deepEqual(response, { batchItemFailures: [] });
  const second = eventsFor('incoming/crashed.mp4')[1]!.detail as unknown as ClassifiedDetail;
  assert.equal(second.reused, true);
  assert.equal(second.reports.json, first.reports.json);
  const report = JSON.parse(await readText(s3.client, `${base}.json`)) as Report;
  assert.equal(await readText(s3.client, `${base}.csv`), toCsv(report), 'the CSV is the stored JSON\'s');
  assert.match(await readText(s3.client, `${base}.html`), /<html/i);
});

test('a refused Episode Classified publish is retried, never turned into Episode Failed, even on the last delivery', async () => {
  const created = await upload('incoming/unpublished.mp4', video);
  bus.refuseNext('Episode Classified', 1);
  const last = await deliver(created, 3);
  assert.deepEqual(last.response, { batchItemFailures: [{ itemIdentifier: last.messageId }] }, 'SQS delivers it again');
  assert.deepEqual(eventsFor('incoming/unpublished.mp4'), [], 'no Episode Failed for a report that was written');
  assert.equal((await keysUnder('framescore/incoming/unpublished.mp4/')).length, 3);
  assert.deepEqual((await deliver(created, 4)).response, { batchItemFailures: [] });
  const events = eventsFor('incoming/unpublished.mp4');
  assert.deepEqual(events.map((event) => [event.detailType, (event.detail as unknown as ClassifiedDetail).reused]), [['Episode Classified', true]]);
  assert.deepEqual(events[0]!.resources, [`arn:aws:s3:::${BUCKET}/${(events[0]!.detail as unknown as ClassifiedDetail).reports.json.replace(`s3://${BUCKET}/`, '')}`]);
});

test('two deliveries at once: one report, and both events and the CSV describe the committed JSON', async () => {
  const created = await upload('incoming/race.mp4', video);
  const answers = await Promise.all([deliver(created), deliver(created)]);
  for (const { response } of answers) assert.deepEqual(response, { batchItemFailures: [] });
  const details = eventsFor('incoming/race.mp4').map((event) => event.detail as unknown as ClassifiedDetail);
  assert.deepEqual(details.map((detail) => detail.reused).sort(), [false, true]);
  const base = details[0]!.reports.json.replace(`s3://${BUCKET}/`, '').replace(/\.json$/, '');
  assert.deepEqual(await keysUnder('framescore/incoming/race.mp4/'), [`${base}.csv`, `${base}.html`, `${base}.json`]);
  const report = JSON.parse(await readText(s3.client, `${base}.json`)) as Report;
  for (const detail of details) assert.equal(detail.wallMs, report.run.wallMs, 'each event summarises the stored report, not a losing run');
  assert.equal(await readText(s3.client, `${base}.csv`), toCsv(report));
});

test('a stored report that is not a framescore report fails once with REPORT_CORRUPT, naming it', async () => {
  const created = await upload('incoming/foreign.mp4', video);
  assert.deepEqual((await deliver(created)).response, { batchItemFailures: [] });
  const reportUri = (eventsFor('incoming/foreign.mp4')[0]!.detail as unknown as ClassifiedDetail).reports.json;
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: reportUri.replace(`s3://${BUCKET}/`, ''), Body: JSON.stringify({ hello: 'world' }) }));
  assert.deepEqual((await deliver(created, 2)).response, { batchItemFailures: [] }, 'final: retrying cannot help');
  const failed = eventsFor('incoming/foreign.mp4')[1]!;
  assert.equal(failed.detailType, 'Episode Failed');
  const detail = failed.detail as unknown as FailedDetail;
  assert.equal(detail.cause.code, 'REPORT_CORRUPT');
  assert.ok(detail.cause.message.includes(reportUri), detail.cause.message);
});

test('a _framescore.json whose every needs more frames than a run takes (MAX_FRAMES) fails with CONFIG_INVALID, not retried', async () => {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/dense/_framescore.json', Body: JSON.stringify({ every: 0.00001 }) }));
  const { response } = await deliver(await upload('incoming/dense/ep1.mp4', video));
  assert.deepEqual(response, { batchItemFailures: [] });
  const [event] = eventsFor('incoming/dense/ep1.mp4');
  assert.equal(event?.detailType, 'Episode Failed');
  const detail = event.detail as unknown as FailedDetail;
  assert.equal(detail.cause.code, 'CONFIG_INVALID');
  assert.match(detail.cause.message, /every 0\.00001 s needs 100000 or more frames .*MAX_FRAMES/);
  assert.deepEqual(await keysUnder('framescore/incoming/dense/'), []);
});

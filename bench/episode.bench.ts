/**
 * The unattended pipeline on local parts: episodes per minute through the
 * queue at episode concurrency 1, 3 and 10, and the overhead of an episode
 * over a plain `framescore classify` of the same object (goal ≤ 1 s).
 * Both functions packaged under serverless-offline (classifier 3086, episode
 * 3088), s3rver behind the conditional proxy, local SQS and EventBridge.
 * Short episodes: the 8 s 320×240 H.264 fixture, 4 frames, sampled in the classifier.
 * The machine's cores run everything (ffmpeg, ONNX, both emulators): read the
 * ratios between concurrencies and the overhead, not the absolute rates.
 *   node dist/bench/episode.bench.js   (FRAMESCORE_BENCH_ROUNDS, default 5)
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startEventBridgeServer } from '../test/helpers/eventbridge-server.js';
import { startConditionalProxy } from '../test/helpers/s3-conditional-proxy.js';
import { runCli } from '../test/helpers/s3-fixtures.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { drainQueue } from '../test/helpers/sqs-lambda-poller.js';
import { startSqsServer } from '../test/helpers/sqs-server.js';
import { fixture } from '../test/helpers/videos.js';
import { objectCreatedEvent, sqsEvent, sqsRecord } from '../test/episode/events.js';
import { EPISODE_FUNCTION, startEpisodeOffline } from '../test/episode/offline.js';
import { startPackagedOffline, tempDir } from '../test/lambda/fixtures.js';

const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 5);
const BUCKET = 'media';
const CLASSIFIER = 'framescore-dev-classify';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
const median = (values: number[]): number => { const sorted = [...values].sort((a, b) => a - b); return sorted[Math.floor(sorted.length / 2)]!; };

const s3 = await startS3rver({ buckets: [BUCKET] });
const proxy = await startConditionalProxy(s3.endpoint);
const bus = await startEventBridgeServer();
const sqs = await startSqsServer([{ name: 'dlq' }, { name: 'episodes', visibilityTimeoutSeconds: 600, redrive: { deadLetter: 'dlq', maxReceiveCount: 3 } }]);
const classifier = await startPackagedOffline({ lambdaPort: 3086, httpPort: 3087, env: { ...CREDENTIALS, VIDEO_URI_PREFIXES: `s3://${BUCKET}/incoming/`, AWS_ENDPOINT_URL_S3: proxy.endpoint } });
const episode = await startEpisodeOffline({
  lambdaPort: 3088, httpPort: 3089, timeoutSeconds: 300,
  environment: {
    ...CREDENTIALS, VIDEO_BUCKET: BUCKET, INPUT_PREFIX: 'incoming/', REPORT_PREFIX: 'framescore/', CLASSIFIER_FUNCTION: CLASSIFIER,
    FRAMES: '4', SAMPLE_ON: 'auto', CLASSIFIER_CONCURRENCY: '4', MAX_RECEIVE_COUNT: '3',
    AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_ENDPOINT_URL_LAMBDA: classifier.server.lambdaEndpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
  },
});
const lambda = new LambdaClient({ endpoint: episode.lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const sqsClient = new SQSClient({ region: 'us-east-1', endpoint: sqs.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const video = new Uint8Array(await readFile(await fixture('h264.mp4')));
let serial = 0;

/** A new distinct episode (one byte apart) and its S3 event, so each run does the work. */
async function newEpisode(): Promise<{ key: string; event: string }> {
  const key = `incoming/bench/ep${serial}.mp4`;
  const body = new Uint8Array([...video, serial & 0xff, serial >> 8]);
  serial += 1;
  const put = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return { key, event: JSON.stringify(objectCreatedEvent(BUCKET, key, put.ETag!.replaceAll('"', ''), body.byteLength)) };
}

try {
  // Warm both emulators' workers (model load, first ffmpeg) before measuring.
  for (let i = 0; i < 3; i += 1) await lambda.send(new InvokeCommand({ FunctionName: EPISODE_FUNCTION, Payload: JSON.stringify(sqsEvent(sqsRecord((await newEpisode()).event))) }));

  console.log('overhead of an episode over `framescore classify` of the same object (interleaved, medians of %d):', ROUNDS);
  const out = await tempDir('bench-episode');
  const [cli, episodeMs] = [[] as number[], [] as number[]];
  for (let round = 0; round < ROUNDS; round += 1) {
    const { key, event } = await newEpisode();
    let started = performance.now();
    const result = await runCli(['classify', `s3://${BUCKET}/${key}`, '--function', CLASSIFIER, '--endpoint-url', classifier.server.lambdaEndpoint, '--region', 'us-east-1',
      '--s3-endpoint', proxy.endpoint, '--frames', '4', '--concurrency', '4', '--out', path.join(out, `cli${round}`), '--format', 'json,csv'], CREDENTIALS);
    cli.push(performance.now() - started);
    if (result.code !== 0) throw new Error(`framescore classify failed: ${result.stderr}`);
    started = performance.now();
    const answer = await lambda.send(new InvokeCommand({ FunctionName: EPISODE_FUNCTION, Payload: JSON.stringify(sqsEvent(sqsRecord(event))) }));
    episodeMs.push(performance.now() - started);
    if (answer.FunctionError !== undefined || new TextDecoder().decode(answer.Payload) !== '{"batchItemFailures":[]}') throw new Error(`episode failed: ${new TextDecoder().decode(answer.Payload)}`);
  }
  console.log(`  framescore classify (a new node process): ${(median(cli) / 1000).toFixed(2)} s`);
  console.log(`  episode function invocation:              ${(median(episodeMs) / 1000).toFixed(2)} s  (${((median(episodeMs) - median(cli)) / 1000).toFixed(2)} s over; ratio ${(median(episodeMs) / median(cli)).toFixed(2)})`);

  console.log('episodes per minute through the queue (the event source mapping emulated, batch size 1):');
  const results: string[] = [];
  for (const concurrency of [1, 3, 10]) {
    const count = Math.max(6, 2 * concurrency);
    const events = await Promise.all(Array.from({ length: count }, () => newEpisode()));
    for (let start = 0; start < count; start += 10) {
      await sqsClient.send(new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl('episodes'), Entries: events.slice(start, start + 10).map(({ event }, i) => ({ Id: String(i), MessageBody: event })) }));
    }
    const started = performance.now();
    const stats = await drainQueue({ sqs: sqsClient, lambda, queueUrl: sqs.queueUrl('episodes'), queueArn: 'arn:aws:sqs:us-east-1:111122223333:episodes', functionName: EPISODE_FUNCTION, maxConcurrency: concurrency, visibilityTimeoutSeconds: 600 });
    const minutes = (performance.now() - started) / 60_000;
    if (stats.deleted !== count) throw new Error(`only ${stats.deleted} of ${count} episodes finished: ${JSON.stringify(stats)}`);
    results.push(`  concurrency ${String(concurrency).padStart(2)}: ${(count / minutes).toFixed(1)} episodes/min (${count} episodes in ${(minutes * 60).toFixed(1)} s)`);
    console.log(results.at(-1));
  }
} finally {
  lambda.destroy();
  sqsClient.destroy();
  await episode.stop();
  await classifier.stop();
  await sqs.stop();
  await bus.stop();
  await proxy.stop();
  await s3.stop();
}

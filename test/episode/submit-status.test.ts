/**
 * framescore submit and status as a user runs them (the CLI as a subprocess)
 * against s3rver, a local SQS server and a local CloudFormation DescribeStacks.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseMessageBody, submitMessage } from '../../src/lambda/episode/object-ref.js';
import type { FlowStatus } from '../../src/cli/commands/status.js';
import { startCloudFormationServer, type CloudFormationServer } from '../helpers/cloudformation-server.js';
import { runCli } from '../helpers/s3-fixtures.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import { startSqsServer, type SqsServer } from '../helpers/sqs-server.js';
import { tempDir } from '../lambda/fixtures.js';

const BUCKET = 'media';
let s3: S3rverHandle;
let sqs: SqsServer;
let cloudformation: CloudFormationServer;
let env: Record<string, string>;
const etags = new Map<string, string>();

before(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  sqs = await startSqsServer([{ name: 'episodes-dlq' }, { name: 'episodes', redrive: { deadLetter: 'episodes-dlq', maxReceiveCount: 3 } }, { name: 'other' }, { name: 'other-dlq' }]);
  cloudformation = await startCloudFormationServer({
    framescore: { EpisodeQueueUrl: sqs.queueUrl('other'), EpisodeDeadLetterQueueUrl: sqs.queueUrl('other-dlq'), ReportLocation: `s3://${BUCKET}/framescore/` },
    classifier: { FunctionName: 'framescore-classifier' },
  });
  env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: s3.endpoint };
  for (const key of ['archive/a.mp4', 'archive/sub/b.MOV', 'archive/notes.txt', 'archive/_framescore.json', 'incoming/c.mkv', 'framescore/incoming/c.mkv/e-1.abc.json']) {
    const put = await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `bytes of ${key}` }));
    etags.set(key, put.ETag!.replaceAll('"', ''));
  }
});

after(async () => {
  await cloudformation?.stop();
  await sqs?.stop();
  await s3?.stop();
});

function queued(name: string): Array<{ key: string; etag: string | undefined }> {
  return sqs.bodies(name).map((body) => {
    const parsed = parseMessageBody(body);
    assert.ok(parsed.ok && parsed.ref.origin === 'submit', body);
    return { key: parsed.ref.key, etag: parsed.ref.etag };
  }).sort((a, b) => a.key.localeCompare(b.key));
}

test('submit sends every video under a prefix and each named object, with its ETag, as the messages the episode function reads', async () => {
  const work = await tempDir('submit');
  const manifest = path.join(work, 'list.txt');
  await writeFile(manifest, `# a backfill\ns3://${BUCKET}/incoming/c.mkv\n`);
  const result = await runCli(['submit', `s3://${BUCKET}/archive/`, '--manifest', manifest, '--queue-url', sqs.queueUrl('episodes')], env);
  assert.equal(result.code, 0, result.stderr);
  const expected = ['archive/a.mp4', 'archive/sub/b.MOV', 'incoming/c.mkv'].map((key) => ({ key, etag: etags.get(key) }));
  assert.deepEqual(queued('episodes'), expected);
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { input: string; etag: string; messageId: string });
  assert.deepEqual(lines.map((line) => line.input).sort(), expected.map(({ key }) => `s3://${BUCKET}/${key}`));
  assert.ok(lines.every((line) => typeof line.messageId === 'string' && line.messageId !== ''));
  assert.match(result.stderr, /submitted 3 episodes to .*; skipped 2 objects that are not videos/);
});

test('submit finds the queue from the stack\'s outputs with --function-stack', async () => {
  const result = await runCli(['submit', `s3://${BUCKET}/archive/a.mp4`, '--function-stack', 'framescore', '--cloudformation-endpoint', cloudformation.endpoint], env);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(queued('other'), [{ key: 'archive/a.mp4', etag: etags.get('archive/a.mp4') }]);
  const wrong = await runCli(['submit', `s3://${BUCKET}/archive/a.mp4`, '--function-stack', 'classifier', '--cloudformation-endpoint', cloudformation.endpoint], env);
  assert.equal(wrong.code, 2);
  assert.equal(wrong.stderr.trim(), 'framescore: stack "classifier" has no EpisodeQueueUrl output: deploy it with InputPrefix set (docs/unattended.md)');
  const missing = await runCli(['submit', `s3://${BUCKET}/archive/a.mp4`, '--function-stack', 'nope', '--cloudformation-endpoint', cloudformation.endpoint], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^framescore: cannot read stack "nope": Stack with id nope does not exist\n$/);
});

test('a missing object or a bad URI is one line each and exit 2; the rest are still submitted', async () => {
  const before = sqs.bodies('episodes').length;
  const result = await runCli(['submit', `s3://${BUCKET}/archive/gone.mp4`, 'not-s3.mp4', `s3://${BUCKET}/archive/a.mp4`, '--queue-url', sqs.queueUrl('episodes')], env);
  assert.equal(result.code, 2);
  assert.deepEqual(result.stderr.trim().split('\n').slice(0, 2), [
    `framescore: input "s3://${BUCKET}/archive/gone.mp4": no such object`,
    'framescore: input "not-s3.mp4": malformed S3 URI (expected s3://bucket/key)',
  ]);
  assert.equal(sqs.bodies('episodes').length, before + 1);
  const none = await runCli(['submit', '--queue-url', sqs.queueUrl('episodes')], env);
  assert.equal(none.code, 2);
  const noQueue = await runCli(['submit', `s3://${BUCKET}/archive/a.mp4`], env);
  assert.equal(noQueue.code, 2);
  assert.match(noQueue.stderr, /name the episode queue: --function-stack STACK/);
});

test('status shows queued and in-flight episodes, the dead-letter queue with its inputs (exit 3), and the newest reports', async () => {
  const client = new SQSClient({ region: 'us-east-1', endpoint: sqs.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    await client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('other-dlq'), MessageBody: JSON.stringify(submitMessage({ bucket: BUCKET, key: 'archive/poison.mp4', etag: 'abc' })) }));
  } finally {
    client.destroy();
  }
  const result = await runCli(['status', '--function-stack', 'framescore', '--cloudformation-endpoint', cloudformation.endpoint, '--json'], env);
  assert.equal(result.code, 3, result.stderr);
  const status = JSON.parse(result.stdout) as FlowStatus;
  assert.deepEqual({ queued: status.queue.queued, inFlight: status.queue.inFlight }, { queued: 1, inFlight: 0 });
  assert.equal(status.deadLetter?.count, 1);
  assert.equal(status.deadLetter.first[0]?.input, `s3://${BUCKET}/archive/poison.mp4`);
  assert.deepEqual(status.recentReports?.map((report) => report.uri), [`s3://${BUCKET}/framescore/incoming/c.mkv/e-1.abc.json`]);
  // Peeking left the dead letter where it was, for a redrive.
  assert.equal(sqs.bodies('other-dlq').length, 1);

  const plain = await runCli(['status', '--queue-url', sqs.queueUrl('episodes'), '--dead-letter-queue-url', sqs.queueUrl('episodes-dlq')], env);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^queue {8}4 queued, 0 in flight\ndead-letter {2}0 episodes\n$/);
});

/**
 * s3:// video input against s3rver on 127.0.0.1: the same frames and times as
 * the same file on disk, the report naming the s3:// URI, and no presigned URL
 * anywhere a person or a log could see it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import { putObject, readBytes, runCli, smallVideo } from '../helpers/s3-fixtures.js';
import { countSettings, sampleVideo } from '../helpers/s3-sampling.js';

let s3: S3rverHandle;
let video: string;
let work: string;

before(async () => {
  [s3, video, work] = await Promise.all([startS3rver({ buckets: ['media'] }), smallVideo(), mkdtemp(path.join(os.tmpdir(), 'framescore-s3-video-'))]);
  await putObject(s3.endpoint, 'media', 'episodes/clip one.mp4', await readBytes(video));
});

after(async () => {
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('sampling from S3 gives the same frames and timestamps as the same file on disk', async () => {
  for (const keyframes of [false, true]) {
    const settings = countSettings(4, keyframes);
    const local = await sampleVideo(video, {}, settings);
    const remote = await sampleVideo('s3://media/episodes/clip one.mp4', { s3Endpoint: s3.endpoint, env: s3.env }, settings);
    assert.equal(remote.sizeBytes, local.sizeBytes);
    assert.equal(remote.duration, local.duration);
    assert.equal(remote.frames.length, 4);
    assert.deepEqual(remote.frames.map((frame) => frame.failure), local.frames.map(() => undefined), 'no frame failed');
    assert.deepEqual(remote.frames.map((frame) => frame.actualTime), local.frames.map((frame) => frame.actualTime), `times (keyframes ${keyframes})`);
    for (const [i, frame] of remote.frames.entries()) assert.ok(frame.jpeg?.equals(local.frames[i]!.jpeg!), `frame ${i} (keyframes ${keyframes}) is byte-identical`);
  }
});

test('classify s3://… --local writes a report naming the s3:// URI and never the presigned URL', async () => {
  const out = path.join(work, 'report');
  // --s3-endpoint wins over a wrong AWS_ENDPOINT_URL_S3 (port 9, discard: nothing listens).
  const env = { ...s3.env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' };
  const result = await runCli(['classify', 's3://media/episodes/clip one.mp4', '--local', '--frames', '4', '--workers', '1', '--format', 'json,csv', '--out', out, '--s3-endpoint', s3.endpoint], env);
  assert.equal(result.code, 0, result.stderr);
  const json = await readFile(`${out}.json`, 'utf8');
  const report = JSON.parse(json) as { video: { source: string; sizeBytes: number }; frames: Array<{ status: string }> };
  assert.equal(report.video.source, 's3://media/episodes/clip one.mp4');
  assert.equal(report.video.sizeBytes, (await readBytes(video)).length);
  assert.deepEqual(report.frames.map((frame) => frame.status), ['ok', 'ok', 'ok', 'ok']);
  const everything = [json, await readFile(`${out}.csv`, 'utf8'), result.stdout, result.stderr].join('\n');
  for (const secret of ['X-Amz-Signature', 'X-Amz-Credential', 'S3RVER%2F', '127.0.0.1']) assert.ok(!everything.includes(secret), `"${secret}" leaked`);
});

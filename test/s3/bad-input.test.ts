/**
 * Every bad S3/HTTP input, through the CLI as a subprocess: exit 2 and one
 * clear line per input naming it and the problem. s3rver gives the missing
 * bucket/key and not-a-video cases; a small S3 stand-in gives access denied
 * and wrong region, which s3rver cannot.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ELSEWHERE_REGION, startS3ErrorServer, type S3ErrorServer } from '../helpers/s3-error-server.js';
import { startHttpsFileServer, type HttpsFileServer } from '../helpers/s3-https-server.js';
import { gifBomb, pngBomb } from '../helpers/image-bombs.js';
import { putObject, repoRoot, runCli } from '../helpers/s3-fixtures.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const DENIED = 'access denied (S3 also says this for a missing key when you may not list the bucket)';
let s3: S3rverHandle;
let fake: S3ErrorServer;
let https: HttpsFileServer;
let work: string;

before(async () => {
  [s3, work, https] = await Promise.all([
    startS3rver({ buckets: ['media'] }), mkdtemp(path.join(os.tmpdir(), 'framescore-s3-bad-')), startHttpsFileServer({ '/clip.mp4': new Uint8Array(1000) }),
  ]);
  // One endpoint for every case: the stand-in answers for its two buckets and forwards the rest to s3rver.
  fake = await startS3ErrorServer(s3.endpoint);
  await putObject(s3.endpoint, 'media', 'notes.txt', new TextEncoder().encode('these are not the frames you are looking for\n'));
  await putObject(s3.endpoint, 'media', 'empty.mp4', new Uint8Array());
});

after(async () => {
  await fake?.stop();
  await https?.stop();
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function lines(stderr: string): string[] {
  return stderr.trim().split('\n').filter((line) => line !== '');
}

test('classify: malformed URIs, missing bucket or key, access denied, wrong region, empty object, not a video, HTTP 404, untrusted TLS — one line each, exit 2', async () => {
  const cases: Array<[string, string]> = [
    ['s3://', 'malformed S3 URI: no bucket name (expected s3://bucket/key)'],
    ['s3://media', 'malformed S3 URI: no object key (expected s3://bucket/key)'],
    ['s3://media/', 'malformed S3 URI: no object key (expected s3://bucket/key)'],
    ['s3://Bad_Bucket/clip.mp4', 'malformed S3 URI: "Bad_Bucket" is not a valid bucket name (3–63 characters: a-z, 0-9, dots, hyphens)'],
    ['s3://no-such-bucket/clip.mp4', 'no such bucket "no-such-bucket"'],
    ['s3://media/episodes/missing.mp4', 'no such key'],
    ['s3://denied/clip.mp4', DENIED],
    ['s3://elsewhere/clip.mp4', `wrong region: the bucket is in ${ELSEWHERE_REGION}: pass --region ${ELSEWHERE_REGION}`],
    ['s3://media/empty.mp4', 'the object is empty (0 bytes)'],
    ['s3://media/notes.txt', 'not a video (ffprobe: invalid data found when processing input)'],
    [`${fake.endpoint}/no-such-bucket/nothing-here.mp4`, 'no such file (HTTP 404)'],
    // The CLI runs without NODE_EXTRA_CA_CERTS, so the throwaway certificate is untrusted.
    [`${https.origin}/clip.mp4`, 'its TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)'],
  ];
  // -q: several inputs also get a summary line; errors are still printed.
  const result = await runCli(['classify', ...cases.map(([uri]) => uri), '-q', '--local', '--workers', '1', '--out-dir', work], { ...s3.env, AWS_ENDPOINT_URL_S3: fake.endpoint });
  assert.equal(result.code, 2, result.stderr);
  // Inputs are opened a few at a time, so their lines come in the order they fail; each names its input.
  assert.deepEqual(lines(result.stderr).sort(), cases.map(([uri, problem]) => `framescore: cannot read video "${uri}": ${problem}`).sort());
  assert.equal(result.stdout, '');
});

test('classify with one unreadable input: exactly one line, exit 2', async () => {
  const denied = await runCli(['classify', 's3://denied/clip.mp4', '--local', '--workers', '1', '--out-dir', work, '--s3-endpoint', fake.endpoint], s3.env);
  assert.equal(denied.code, 2);
  assert.deepEqual(lines(denied.stderr), [`framescore: cannot read video "s3://denied/clip.mp4": ${DENIED}`]);
  assert.equal(denied.stdout, '');
});

test('--model s3://…: no manifest, access denied, wrong region — one line, exit 2, before any decoding', async () => {
  const video = path.join(repoRoot, 'models', 'nsfw-mobilenet-v2', 'model.json'); // never opened: the model fails first
  const cases: Array<[string, string, string]> = [
    ['s3://media/models/none/', fake.endpoint, '--model "s3://media/models/none/": no framescore-model.json there (upload models with "framescore model push DIR s3://media/models/none/")'],
    ['s3://denied/m', fake.endpoint, '--model: cannot read s3://denied/m/framescore-model.json: access denied'],
    ['s3://elsewhere/m/', fake.endpoint, `--model: cannot read s3://elsewhere/m/framescore-model.json: wrong region: the bucket is in ${ELSEWHERE_REGION}: pass --region ${ELSEWHERE_REGION}`],
  ];
  for (const [uri, endpoint, message] of cases) {
    const result = await runCli(['classify', video, '--local', '--model', uri, '--s3-endpoint', endpoint], { ...s3.env, XDG_CACHE_HOME: work });
    assert.equal(result.code, 2, uri);
    assert.deepEqual(lines(result.stderr), [`framescore: ${message}`], uri);
  }
});

test('model push: malformed destination, no such bucket, access denied — one line, exit 2', async () => {
  const model = path.join(repoRoot, 'models', 'nsfw-mobilenet-v2');
  const cases: Array<[string[], string]> = [
    [[model, 's3://'], 'model push destination "s3://": malformed S3 URI: no bucket name (expected s3://bucket/key)'],
    [[model, 's3://no-such-bucket/m/'], 'cannot upload s3://no-such-bucket/m/model.json: no such bucket'],
    [[model, 's3://denied/m/'], 'cannot upload s3://denied/m/model.json: access denied'],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(['model', 'push', ...args, '--s3-endpoint', fake.endpoint], s3.env);
    assert.equal(result.code, 2, args.join(' '));
    assert.deepEqual(lines(result.stderr), [`framescore: ${message}`], args.join(' '));
  }
});

test('image bombs from S3 and over HTTP: refused from the header the relay reads first, before ffprobe decodes them — one line, exit 2', async () => {
  await putObject(s3.endpoint, 'media', 'bomb.gif', gifBomb(65535, 65535));
  await putObject(s3.endpoint, 'media', 'bomb.png', pngBomb(30000, 30000));
  const cases: Array<[string, string]> = [
    ['s3://media/bomb.gif', 'it declares 65535×65535 pixels (4294.8 megapixels); the limit is 40 megapixels and 16384 pixels a side'],
    [`${s3.endpoint}/media/bomb.png`, 'it declares 30000×30000 pixels (900.0 megapixels); the limit is 40 megapixels and 16384 pixels a side'],
  ];
  for (const [uri, problem] of cases) {
    const result = await runCli(['classify', uri, '--local', '--workers', '1', '--out-dir', work], s3.env);
    assert.equal(result.code, 2, result.stderr);
    assert.deepEqual(lines(result.stderr), [`framescore: cannot read image "${uri}": ${problem}`]);
  }
});

/**
 * Models in S3, against s3rver on 127.0.0.1: `model push`, then the same model
 * used by `classify --model s3://…` (downloaded once into the XDG cache,
 * verified, reused) and by the Lambda handler's MODEL_URI loader; a tampered
 * weight file is refused by both.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/run/s3/client.js';
import { fetchModel } from '../../src/run/s3/model-cache.js';
import { sha256Hex } from '../../src/core/model-files.js';
import { MANIFEST_FILE, parseManifest } from '../../src/core/model-manifest.js';
import { runHandlerProcess, unbundledHandler } from '../lambda/fixtures.js';
import { startCountingProxy, type CountingProxy } from '../helpers/s3-counting-proxy.js';
import { putObject, readBytes, repoRoot, runCli, smallVideo } from '../helpers/s3-fixtures.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const bundled = path.join(repoRoot, 'models', 'nsfw-mobilenet-v2');
const SHARD = 'group1-shard1of1.bin';
let s3: S3rverHandle;
let proxy: CountingProxy;
let work: string;
let video: string;

before(async () => {
  [s3, work, video] = await Promise.all([startS3rver({ buckets: ['models'] }), mkdtemp(path.join(os.tmpdir(), 'framescore-s3-model-')), smallVideo()]);
  proxy = await startCountingProxy(s3.port);
});

after(async () => {
  await proxy?.stop();
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function getText(key: string): Promise<string> {
  const response = await s3.client.send(new GetObjectCommand({ Bucket: 'models', Key: key }));
  return (await response.Body?.transformToString()) ?? '';
}

interface ReportJson { model: { sha256: string; name: string }; frames: Array<{ status: string }> }

async function classifyWith(model: string, cacheHome: string): Promise<{ code: number | null; stderr: string; report?: ReportJson }> {
  const result = await runCli(['classify', video, '--local', '--frames', '2', '--workers', '1', '--model', model, '-o', '-', '--format', 'json', '--s3-endpoint', proxy.endpoint],
    { ...s3.env, XDG_CACHE_HOME: cacheHome });
  return { code: result.code, stderr: result.stderr, report: result.code === 0 ? (JSON.parse(result.stdout) as ReportJson) : undefined };
}

test('push, then classify --model s3://… downloads once into the XDG cache, verified, and reuses it', async () => {
  const push = await runCli(['model', 'push', bundled, 's3://models/nsfw/v2', '--s3-endpoint', s3.endpoint], s3.env);
  assert.equal(push.code, 0, push.stderr);
  assert.equal(push.stdout, 's3://models/nsfw/v2/\n');
  const manifestText = await getText(`nsfw/v2/${MANIFEST_FILE}`);
  assert.equal(manifestText, await readFile(path.join(bundled, MANIFEST_FILE), 'utf8'));
  assert.equal(sha256Hex(new TextEncoder().encode(await getText(`nsfw/v2/model.json`))), parseManifest(JSON.parse(manifestText), 'pushed').files['model.json']);

  const cacheHome = path.join(work, 'cache-a');
  proxy.reset();
  const first = await classifyWith('s3://models/nsfw/v2/', cacheHome);
  assert.equal(first.code, 0, first.stderr);
  const firstBytes = proxy.servedBytes();
  const manifest = parseManifest(JSON.parse(manifestText), 'pushed');
  assert.equal(first.report?.model.sha256, manifest.sha256);
  assert.deepEqual(first.report?.frames.map((frame) => frame.status), ['ok', 'ok']);
  const root = path.join(cacheHome, 'framescore', 'models');
  const key = sha256Hex(new TextEncoder().encode(manifestText));
  assert.deepEqual(await readdir(root), [key], 'one verified directory, no staging leftovers');
  assert.deepEqual((await readdir(path.join(root, key))).sort(), [MANIFEST_FILE, SHARD, 'model.json', 'model.onnx'].sort());
  assert.ok(firstBytes > 2_600_000, `first run fetched the weights (${firstBytes} bytes)`);

  proxy.reset();
  const second = await classifyWith('s3://models/nsfw/v2/', cacheHome);
  assert.equal(second.code, 0, second.stderr);
  assert.ok(proxy.servedBytes() < 20_000, `a verified cache is reused: only the manifest is fetched (${proxy.servedBytes()} bytes)`);
  assert.equal(second.report?.model.sha256, manifest.sha256);
});

test('a cached copy that no longer verifies is fetched again; a killed download\'s stale staging directory is swept', async () => {
  const root = path.join(work, 'cache-c');
  const location = { bucket: 'models', key: 'nsfw/v2/' };
  const client = createS3Client({ s3Endpoint: s3.endpoint, env: s3.env });
  try {
    const first = await fetchModel(client, location, root);
    assert.equal(first.downloaded, true);
    // What a download killed mid-way leaves: a staging directory, never the key name.
    const killed = path.join(root, '.partial-killed');
    await mkdir(killed);
    await copyFile(path.join(bundled, 'model.json'), path.join(killed, 'model.json'));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(killed, twoHoursAgo, twoHoursAgo);
    await writeFile(path.join(first.dir, SHARD), 'truncated');
    const again = await fetchModel(client, location, root);
    assert.deepEqual([again.dir, again.downloaded], [first.dir, true]);
    assert.deepEqual(await readdir(root), [path.basename(first.dir)]);
    assert.equal((await fetchModel(client, location, root)).downloaded, false);
  } finally {
    client.destroy();
  }
});

test('the Lambda MODEL_URI loader verifies and serves the pushed model', async () => {
  const run = await runHandlerProcess(unbundledHandler, [{ warmup: true }], {
    ...s3.env, MODEL_URI: 's3://models/nsfw/v2/', MODEL_CACHE_DIR: path.join(work, 'lambda-cache'),
  });
  const response = run.responses[0] as { warm?: boolean; model?: { sha256: string } };
  const manifest = parseManifest(JSON.parse(await getText(`nsfw/v2/${MANIFEST_FILE}`)), 'pushed');
  assert.equal(response.warm, true, JSON.stringify(response));
  assert.equal(response.model?.sha256, manifest.sha256);
});

test('a tampered weight file is rejected by its sha256, by the CLI (exit 2, one line, nothing cached) and the Lambda', async () => {
  const push = await runCli(['model', 'push', bundled, 's3://models/tampered/', '--s3-endpoint', s3.endpoint], s3.env);
  assert.equal(push.code, 0, push.stderr);
  const shard = await readBytes(path.join(bundled, SHARD));
  shard[1000] = shard[1000]! ^ 0xff;
  await putObject(s3.endpoint, 'models', `tampered/${SHARD}`, shard);

  const cacheHome = path.join(work, 'cache-b');
  const cli = await classifyWith('s3://models/tampered/', cacheHome);
  assert.equal(cli.code, 2);
  assert.deepEqual(cli.stderr.trim().split('\n'), [`framescore: s3://models/tampered/${SHARD} fails its sha256 check (manifest 8e7dddbb16ac…, downloaded ${sha256Hex(shard).slice(0, 12)}…)`]);
  assert.deepEqual(await readdir(path.join(cacheHome, 'framescore', 'models')), [], 'no usable-looking copy, no staging leftovers');

  const lambda = await runHandlerProcess(unbundledHandler, [{ warmup: true }], {
    ...s3.env, MODEL_URI: 's3://models/tampered/', MODEL_CACHE_DIR: path.join(work, 'lambda-cache-b'),
  });
  const response = lambda.responses[0] as { error?: { code: string; message: string } };
  assert.equal(response.error?.code, 'MODEL_UNAVAILABLE', JSON.stringify(response));
  assert.match(response.error?.message ?? '', /sha256/);
});

test('a Teachable Machine export is pushed with a generated manifest carrying every sha256', async () => {
  const dir = path.join(work, 'teachable');
  await mkdir(dir);
  for (const name of ['model.json', SHARD]) await copyFile(path.join(bundled, name), path.join(dir, name));
  await writeFile(path.join(dir, 'metadata.json'), JSON.stringify({ modelName: 'my-classes', timeStamp: '2026-11-26', labels: ['a', 'b', 'c', 'd', 'e'], imageSize: 224 }));
  const push = await runCli(['model', 'push', dir, 's3://models/tm/v1/', '--s3-endpoint', s3.endpoint], s3.env);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stderr, /manifest generated from metadata\.json/);
  const manifest = parseManifest(JSON.parse(await getText(`tm/v1/${MANIFEST_FILE}`)), 'generated');
  assert.deepEqual([manifest.name, manifest.labels], ['my-classes', ['a', 'b', 'c', 'd', 'e']]);
  assert.equal(manifest.files[SHARD], sha256Hex(await readBytes(path.join(bundled, SHARD))));
  assert.equal(manifest.files['model.json'], sha256Hex(await readBytes(path.join(bundled, 'model.json'))));
  assert.equal(manifest.sha256, manifest.files[SHARD]);
});

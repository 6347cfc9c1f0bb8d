/**
 * classify --function and warm through the real Invoke API of serverless-offline
 * running the packaged handler, and parity with --local: same video, same
 * settings, scores equal within 1e-5.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Report } from '../../src/core/report.js';
import type { OfflineServer } from '../helpers/serverless-offline.js';
import { startPackagedOffline, type PackagedOffline } from '../lambda/fixtures.js';
import { runCli, ensureSampleVideo, sampleVideo, tempDir } from './run-cli.js';

// Ports of their own: the Lambda and smoke tests use 3002/3003 and 3012/3013.
const LAMBDA_PORT = 3022;
const HTTP_PORT = 3023;
/** serverless.yml: service framescore, stage dev, function classify. */
const FUNCTION = 'framescore-dev-classify';

let offline: PackagedOffline | undefined;
let server: OfflineServer | undefined;
let work: string;

before(async () => {
  await ensureSampleVideo();
  work = await tempDir('fanout-offline');
  offline = await startPackagedOffline({ lambdaPort: LAMBDA_PORT, httpPort: HTTP_PORT });
  server = offline.server;
});

after(async () => {
  await offline?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('classify --function on the packaged handler equals --local within 1e-5', async () => {
  const sampling = ['--frames', '4', '--keyframes', '--sample-concurrency', '2'];
  const remoteBase = path.join(work, 'remote');
  const localBase = path.join(work, 'local');
  const [remote, local] = await Promise.all([
    runCli(['classify', sampleVideo, ...sampling, '--function', FUNCTION, '--concurrency', '4', '--endpoint-url', server!.lambdaEndpoint, '--out', remoteBase]),
    runCli(['classify', sampleVideo, ...sampling, '--local', '--workers', '1', '--out', localBase]),
  ]);
  assert.equal(remote.code, 0, `${remote.stderr}\n${server!.output().slice(-1500)}`);
  assert.equal(local.code, 0, local.stderr);
  const a = JSON.parse(await readFile(`${remoteBase}.json`, 'utf8')) as Report;
  const b = JSON.parse(await readFile(`${localBase}.json`, 'utf8')) as Report;
  assert.equal(a.run.mode, 'lambda');
  assert.equal(b.run.mode, 'local');
  assert.equal(a.model.sha256, b.model.sha256);
  assert.equal(a.frames.length, 4);
  assert.equal(a.frames.length, b.frames.length);
  for (const [i, frame] of a.frames.entries()) {
    const other = b.frames[i]!;
    assert.ok(frame.status === 'ok' && other.status === 'ok', `frame ${i}`);
    assert.equal(frame.actualTime, other.actualTime);
    for (const label of a.model.labels) assert.ok(Math.abs(frame.scores[label]! - other.scores[label]!) < 1e-5, `frame ${i} ${label}: ${frame.scores[label]} vs ${other.scores[label]}`);
    assert.equal(frame.top.label, other.top.label);
  }
  for (const label of a.model.labels) assert.ok(Math.abs(a.summary.labels[label]!.mean - b.summary.labels[label]!.mean) < 1e-5);
  // serverless-offline returns no tail logs: the cost estimate says so rather than inventing one.
  const lambda = a.run.lambda as { invocations: number; billed: { reported: number }; cost: { usd: number | null; note: string } };
  assert.ok(lambda.invocations >= 4);
  assert.equal(lambda.billed.reported, 0);
  assert.equal(lambda.cost.usd, null);
});

test('warm --count 2 on serverless-offline: two environments answer', async () => {
  const run = await runCli(['warm', '--function', FUNCTION, '--count', '2', '--hold-ms', '500', '--json', '--endpoint-url', server!.lambdaEndpoint]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { warmed: number; cold: number; model: { name: string } };
  assert.equal(result.warmed, 2);
  assert.ok(result.cold <= 2);
  assert.equal(result.model.name, 'nsfw-mobilenet-v2');
});

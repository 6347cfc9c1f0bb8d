/**
 * classify --function and warm through the real Invoke API of serverless-offline
 * running the packaged handler, and parity with --local: same video, same
 * settings, scores equal within 1e-5.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { resolveBinaries } from '../../src/media/binaries.js';
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

type OkFrame = Extract<Report['frames'][number], { status: 'ok' }>;

async function scoredFrames(args: string[]): Promise<OkFrame[]> {
  const run = await runCli([...args, '--format', 'json', '-o', '-', '-q']);
  assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}\n${server!.output().slice(-1500)}`);
  const report = JSON.parse(run.stdout) as Report;
  return report.frames.map((frame) => {
    assert.equal(frame.status, 'ok', `${args[1]} frame ${frame.index}`);
    return frame as OkFrame;
  });
}

/**
 * One report per input (`-o -` prints them one after another, as each input finishes), in the
 * order of `inputs`, every frame scored.
 */
async function scoredReports(args: string[], inputs: readonly string[]): Promise<OkFrame[][]> {
  const run = await runCli([...args, '--format', 'json', '-o', '-', '-q']);
  assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}\n${server!.output().slice(-1500)}`);
  const printed = run.stdout.split(/\n(?=\{\n {2}"schema")/).map((text) => JSON.parse(text) as Report);
  assert.deepEqual(printed.map((report) => report.video.source).sort(), [...inputs].sort(), 'one report per input');
  const reports = inputs.map((input) => printed.find((report) => report.video.source === input)!);
  return reports.map((report) => report.frames.map((frame) => {
    assert.equal(frame.status, 'ok', `${report.video.source} frame ${frame.index}`);
    return frame as OkFrame;
  }));
}

function maxDifference(a: readonly OkFrame[], b: readonly OkFrame[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.flatMap((frame, i) => Object.keys(frame.scores).map((label) => Math.abs(frame.scores[label]! - b[i]!.scores[label]!))));
}

test('lossless frames: --function equals --local within 1e-5 on exact frames; --frame-format jpeg moves scores, the same way on both sides', async () => {
  const remote = ['--function', FUNCTION, '--concurrency', '4', '--endpoint-url', server!.lambdaEndpoint];
  const sampling = ['--frames', '6'];
  const [lossRemote, lossLocal, jpegRemote, jpegLocal] = await Promise.all([
    scoredFrames(['classify', sampleVideo, ...sampling, ...remote]),
    scoredFrames(['classify', sampleVideo, ...sampling, '--local']),
    scoredFrames(['classify', sampleVideo, ...sampling, '--frame-format', 'jpeg', ...remote]),
    scoredFrames(['classify', sampleVideo, ...sampling, '--frame-format', 'jpeg', '--local']),
  ]);
  assert.deepEqual(lossRemote.map((frame) => frame.actualTime), lossLocal.map((frame) => frame.actualTime));
  assert.ok(maxDifference(lossRemote, lossLocal) < 1e-5, `lossless remote vs local: ${maxDifference(lossRemote, lossLocal)}`);
  assert.ok(maxDifference(jpegRemote, jpegLocal) < 1e-5, `jpeg remote vs local: ${maxDifference(jpegRemote, jpegLocal)}`);
  // The JPEG step is real and stays within what the README documents for it.
  const moved = maxDifference(jpegLocal, lossLocal);
  assert.ok(moved > 1e-6 && moved < 0.1, `jpeg vs lossless: ${moved}`);
});

test('image files: the CLI through the packaged function, the CLI in-process and a POST of the same bytes to the HTTP route agree within 1e-5, at several sizes and both fits', async () => {
  const { ffmpeg } = resolveBinaries();
  const sizes = ['224x224', '300x200', '640x360', '90x160'];
  const files = sizes.map((size) => path.join(work, `still-${size}.png`));
  for (const [i, size] of sizes.entries()) {
    await promisify(execFile)(ffmpeg, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}`, '-vf', 'noise=alls=30:allf=t', '-frames:v', '1', files[i]!]);
  }
  for (const fit of ['crop', 'stretch'] as const) {
    // One run per side scores every size, each input with its own report (in order), as a user's run over several photos.
    const [remoteRuns, localRuns] = await Promise.all([
      scoredReports(['classify', ...files, '--fit', fit, '--function', FUNCTION, '--endpoint-url', server!.lambdaEndpoint], files),
      scoredReports(['classify', ...files, '--fit', fit, '--local'], files),
    ]);
    for (const [i, size] of sizes.entries()) {
      const [remote, local] = [remoteRuns[i]!, localRuns[i]!];
      const file = files[i]!;
      assert.ok(maxDifference(remote, local) < 1e-5, `${size} --fit ${fit}: batch vs local ${maxDifference(remote, local)}`);
      // serverless-offline corrupts binary bodies (FACTS): base64 text is what it passes through intact.
      const posted = await fetch(`${server!.httpEndpoint}/classify?fit=${fit}`, { method: 'POST', body: (await readFile(file)).toString('base64'), headers: { 'content-type': 'text/plain' } });
      assert.equal(posted.status, 200, `${size} ${fit}`);
      const body = (await posted.json()) as { scores: Record<string, number> };
      for (const [label, score] of Object.entries(local[0]!.scores)) assert.ok(Math.abs(body.scores[label]! - score) < 1e-5, `${size} --fit ${fit} POST ${label}: ${body.scores[label]} vs ${score}`);
    }
  }
});

test('warm --count 2 on serverless-offline: two environments answer', async () => {
  const run = await runCli(['warm', '--function', FUNCTION, '--count', '2', '--hold-ms', '500', '--json', '--endpoint-url', server!.lambdaEndpoint]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { warmed: number; cold: number; model: { name: string } };
  assert.equal(result.warmed, 2);
  assert.ok(result.cold <= 2);
  assert.equal(result.model.name, 'nsfw-mobilenet-v2');
});

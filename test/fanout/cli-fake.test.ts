/**
 * classify --function and warm as subprocesses, against the fault-injecting
 * Invoke API server on 127.0.0.1, with real ffmpeg sampling the sample video.
 */
import { CONTRACT_VERSION } from '../../src/core/contract.js';
import assert from 'node:assert/strict';
import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ModelIdentity } from '../../src/core/model-manifest.js';
import type { Report } from '../../src/core/report.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeOptions, type FakeInvokeServer } from '../helpers/fake-invoke-server.js';
import { modelDir, runCli, ensureSampleVideo, sampleVideo, tempDir } from './run-cli.js';

const SCORES = { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.05, Sexy: 0.1 };
let model: ModelIdentity;
let work: string;
const servers: FakeInvokeServer[] = [];

before(async () => {
  await ensureSampleVideo();
  model = await bundledModelIdentity(modelDir);
  work = await tempDir('fanout-cli');
});
after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await rm(work, { recursive: true, force: true });
});

async function server(options: Partial<FakeInvokeOptions> = {}): Promise<FakeInvokeServer> {
  const fake = await startFakeInvokeServer({ handler: framescoreHandler(cannedClassifier(model, SCORES)), functions: ['frame-classifier'], ...options });
  servers.push(fake);
  return fake;
}

async function readReport(file: string): Promise<Report> {
  return JSON.parse(await readFile(file, 'utf8')) as Report;
}

/** Frame ids the server was asked to score, in arrival order. */
function frameIds(event: unknown): string[] {
  const frames = (event as { frames?: Array<{ id: string }> }).frames;
  return Array.isArray(frames) ? frames.map((frame) => frame.id) : [];
}

test('classify --function through throttles and faults: every frame scored, telemetry in report.run, exit 0', async () => {
  let n = 0;
  const fake = await server({ capacity: 2, serviceMs: 20, faults: () => (++n % 4 === 2 ? { kind: n % 8 === 2 ? 'service' : 'exit', ...(n % 8 === 2 ? { status: 503 } : {}) } as never : undefined) });
  const out = path.join(work, 'faults');
  const run = await runCli(['classify', sampleVideo, '--function', 'frame-classifier', '--qualifier', 'live', '--frames', '6', '--keyframes', '--concurrency', '6', '--batch-size', '1', '--out', out], {
    env: { AWS_ENDPOINT_URL_LAMBDA: fake.endpoint },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /Warning|at .*\.js:\d+/, 'no SDK warnings or stack traces');
  assert.match(run.stderr, /lambda: \d+ invocations \(\d+ retries/);
  const report = await readReport(`${out}.json`);
  assert.equal(report.frames.length, 6);
  assert.ok(report.frames.every((frame) => frame.status === 'ok'));
  assert.ok(report.frames.some((frame) => (frame.attempts ?? 0) > 1), 'retried frames succeeded');
  assert.equal(report.run.mode, 'lambda');
  const lambda = report.run.lambda as { invocations: number; retries: number; billed: { reported: number }; cost: { usd: number }; batchSize: number; concurrency: { requested: number } };
  assert.ok(lambda.invocations >= 6 && lambda.retries > 0, JSON.stringify(lambda));
  assert.equal(lambda.batchSize, 1);
  assert.equal(lambda.concurrency.requested, 6);
  assert.ok(lambda.cost.usd > 0);
  assert.equal(report.model.sha256, model.sha256);
  assert.equal(report.run.lambda && (report.run.lambda as { qualifier: string }).qualifier, 'live');
  assert.deepEqual((report.run.lambda as { executedVersions: string[] }).executedVersions, ['live'], 'the qualifier reached the Invoke API');
  const journal = (await readFile(`${out}.journal.jsonl`, 'utf8')).trim().split('\n');
  assert.equal(journal.length, 7, 'a header and one line per frame');
});

test('an unknown function fails fast with one line naming it, exit 2', async () => {
  const fake = await server();
  const run = await runCli(['classify', sampleVideo, '--function', 'no-such-function', '--frames', '2', '--endpoint-url', fake.endpoint, '--out', path.join(work, 'unknown')]);
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /^framescore: Lambda function "no-such-function": ResourceNotFoundException: Function not found/);
  assert.equal(fake.stats.requests, 1, 'one probe, no fan-out');
});

test('frames the function rejects fail with their cause (exit 3); --resume then scores only those', async () => {
  const healthy = framescoreHandler(cannedClassifier(model, SCORES));
  const seen: string[] = [];
  let reject = true;
  const fake = await server({
    handler: (event, context) => {
      const ids = frameIds(event);
      seen.push(...ids);
      if (reject && ids.length === 1 && Number(ids[0]) % 2 === 1) {
        return { payload: { v: CONTRACT_VERSION, model, results: [{ id: ids[0], status: 'failed', code: 'INVALID_IMAGE', message: 'image is not a JPEG or PNG' }], timing: { coldStart: false, initMs: 0, inferMs: 1 } } };
      }
      return healthy(event, context);
    },
  });
  const out = path.join(work, 'resume');
  const args = ['classify', sampleVideo, '--function', 'frame-classifier', '--frames', '6', '--keyframes', '--batch-size', '1', '--sample-concurrency', '2', '--endpoint-url', fake.endpoint, '--out', out];
  const first = await runCli(args);
  assert.equal(first.code, 3, first.stderr);
  const partial = await readReport(`${out}.json`);
  const failed = partial.frames.filter((frame) => frame.status === 'failed');
  assert.deepEqual(failed.map((frame) => frame.index), [1, 3, 5]);
  assert.ok(failed.every((frame) => frame.status === 'failed' && frame.code === 'INVALID_IMAGE' && frame.attempts === 1));
  assert.match(first.stderr, /warning: .*sample\.mp4: 3 frames \(1, 3, 5\) failed: INVALID_IMAGE: image is not a JPEG or PNG/);

  reject = false;
  seen.length = 0;
  const second = await runCli([...args, '--resume']);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /resuming: 3 of 6 frames already scored/);
  assert.deepEqual(seen.sort(), ['1', '3', '5'], 'only the frames not yet scored were sent');
  const complete = await readReport(`${out}.json`);
  assert.equal(complete.frames.filter((frame) => frame.status === 'ok').length, 6);
  assert.equal(complete.run.resumedFrames, 3);

  // Other sampling settings do not borrow the journal's scores.
  seen.length = 0;
  const other = await runCli([...args, '--fit', 'stretch', '--resume']);
  assert.equal(other.code, 0, other.stderr);
  assert.equal(seen.length, 6);
});

test('several videos from arguments and --manifest share one pool: a report each and an index', async () => {
  const fake = await server({ serviceMs: 30 });
  const dir = path.join(work, 'many');
  const second = path.join(work, 'episode-2.mp4');
  await symlink(sampleVideo, second);
  const manifest = path.join(work, 'episodes.txt');
  await writeFile(manifest, `# episodes\n${second}\n\n${path.join(work, 'missing.mp4')}\n`);
  const run = await runCli(['classify', sampleVideo, '--manifest', manifest, '--function', 'frame-classifier', '--frames', '3', '--keyframes', '--warm', '--concurrency', '3', '--endpoint-url', fake.endpoint, '--out-dir', dir]);
  assert.equal(run.code, 2, 'one input was missing');
  assert.match(run.stderr, /warmed 3\/3 environments of lambda frame-classifier, concurrency 3: 3 cold/);
  assert.match(run.stderr, /missing\.mp4/);
  assert.match(run.stderr, /framescore: 2 videos: 6\/6 frames scored/);
  const index = JSON.parse(await readFile(path.join(dir, 'framescore-index.json'), 'utf8')) as { runs: Array<{ source: string; status: string; frames: { ok: number } }> };
  assert.deepEqual(index.runs.map((entry) => [path.basename(entry.source), entry.status, entry.frames.ok]), [['sample.mp4', 'complete', 3], ['episode-2.mp4', 'complete', 3], ['missing.mp4', 'unreadable', 0]]);
  const csv = await readFile(path.join(dir, 'framescore-index.csv'), 'utf8');
  assert.match(csv, /^source,status,frames,ok,failed,wall_ms,reports,error\n/);
  for (const name of ['sample', 'episode-2']) assert.equal((await readReport(path.join(dir, `${name}.json`))).frames.length, 3);
});

test('Ctrl-C stops scheduling, lets in-flight invocations finish, writes the partial report, exit 130', async () => {
  let requests = 0;
  let onFirst: () => void = () => {};
  const firstBatch = new Promise<void>((resolve) => { onFirst = resolve; });
  const healthy = framescoreHandler(cannedClassifier(model, SCORES));
  const fake = await server({
    handler: async (event, context) => {
      const batch = frameIds(event).length > 0;
      if (batch && ++requests === 1) onFirst();
      return { ...(await healthy(event, context)), delayMs: batch ? 1500 : 0 };
    },
  });
  const out = path.join(work, 'interrupted');
  const run = await runCli(['classify', sampleVideo, '--function', 'frame-classifier', '--frames', '12', '--keyframes', '--concurrency', '2', '--batch-size', '1', '--endpoint-url', fake.endpoint, '--out', out], {
    onSpawn: (child) => { void firstBatch.then(() => child.kill('SIGINT')); },
  });
  assert.equal(run.code, 130, run.stderr);
  assert.match(run.stderr, /interrupted/);
  const report = await readReport(`${out}.json`);
  assert.equal(report.run.interrupted, true);
  assert.ok(report.frames.length >= 1 && report.frames.length < 12, `${report.frames.length} frames in the partial report`);
  assert.ok(report.frames.every((frame) => frame.status === 'ok'), 'in-flight invocations finished rather than being cut off');
});

test('warm --count N starts N environments concurrently and reports the cold ones', async () => {
  const fake = await server({ initMs: 321 });
  const run = await runCli(['warm', '--function', 'frame-classifier', '--count', '4', '--hold-ms', '300', '--json', '--endpoint-url', fake.endpoint]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { requested: number; warmed: number; cold: number; initMs: { max: number } };
  assert.equal(result.warmed, 4);
  assert.equal(result.cold, 4);
  assert.equal(result.initMs.max, 321);
  assert.equal(fake.stats.environments, 4);
  assert.match(run.stderr, /4\/4 environments warm, 4 were cold/);

  const missing = await runCli(['warm', '--function', 'nope', '--count', '2', '--endpoint-url', fake.endpoint]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Lambda function "nope": ResourceNotFoundException/);
});

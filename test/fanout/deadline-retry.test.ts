/**
 * The client's side of the function's deadline: frames answered DEADLINE are sent
 * again, and only those (a batch re-sent without the frames already scored, a GOP
 * job cut after its last target left), and the run counts them in its telemetry.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CONTRACT_VERSION } from '../../src/core/contract.js';
import { SAMPLE_KIND, type SampleRequest } from '../../src/core/contract-sample.js';
import type { Report } from '../../src/core/report.js';
import { narrowSampleRequest } from '../../src/run/fleet/sample-and-score.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeServer } from '../helpers/fake-invoke-server.js';
import { ensureSampleVideo, modelDir, runCli, sampleVideo, tempDir } from './run-cli.js';

const SCORES = { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.05, Sexy: 0.1 };

let fake: FakeInvokeServer;
let work: string;
/** Frame ids of each batch the function received, in arrival order. */
const batches: string[][] = [];

before(async () => {
  await ensureSampleVideo();
  work = await tempDir('deadline-retry');
  const score = framescoreHandler(cannedClassifier(await bundledModelIdentity(modelDir), SCORES));
  fake = await startFakeInvokeServer({
    functions: ['frame-classifier'],
    // Like a function that ran out of time: it scores the first half of what it is sent (at least one frame) and answers the rest DEADLINE.
    handler: async (event, context) => {
      const reply = await score(event, context);
      const frames = (event as { frames?: Array<{ id: string }> }).frames;
      if (!Array.isArray(frames)) return reply;
      batches.push(frames.map((frame) => frame.id));
      const payload = reply.payload as { results: Array<Record<string, unknown>> };
      const keep = Math.max(1, Math.ceil(frames.length / 2));
      const results = payload.results.map((result, i) => (i < keep ? result : { id: result.id, status: 'failed', code: 'DEADLINE', message: 'the invocation stopped before its timeout' }));
      return { payload: { ...payload, results } };
    },
  });
});

after(async () => {
  await fake.stop();
  await rm(work, { recursive: true, force: true });
});

test('frames answered DEADLINE are resent alone until scored; the run counts them; none fails', async () => {
  const out = path.join(work, 'run');
  const run = await runCli(['classify', sampleVideo, '--function', 'frame-classifier', '--frames', '8', '--batch-size', '8', '--concurrency', '1', '--out', out, '-v'], {
    env: { AWS_ENDPOINT_URL_LAMBDA: fake.endpoint },
  });
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(await readFile(`${out}.json`, 'utf8')) as Report;
  assert.equal(report.frames.length, 8);
  assert.ok(report.frames.every((frame) => frame.status === 'ok'), JSON.stringify(report.frames.filter((frame) => frame.status !== 'ok')));
  // 8 → 4 scored, 4 resent → 2, 2 → 1, 1 → 1: each request holds exactly the frames the last one left.
  assert.deepEqual(batches.map((ids) => ids.length), [8, 4, 2, 1]);
  for (let i = 1; i < batches.length; i += 1) assert.deepEqual(batches[i], batches[i - 1]!.slice(Math.ceil(batches[i - 1]!.length / 2)));
  const lambda = report.run.lambda as { invocations: number; deadline: { invocations: number; frames: number } };
  assert.deepEqual(lambda.deadline, { invocations: 3, frames: 7 });
  assert.equal(lambda.invocations, 4);
  assert.deepEqual(report.frames.map((frame) => frame.attempts).sort(), [1, 1, 1, 1, 2, 2, 3, 4]);
  assert.match(run.stderr, /3 stopped at their deadline with 7 frames sent again/);
});

test('a narrowed sample request keeps only the frames left: GOP walks cut after their last target left, empty jobs and seeks dropped', () => {
  const request: SampleRequest = {
    v: CONTRACT_VERSION, kind: SAMPLE_KIND, object: { uri: 's3://media/a.mp4', etag: '"e"', size: 1000 },
    video: { startTime: 0, rotation: 0, keyframes: false }, fit: 'crop',
    gops: [
      { offsets: [0, 10, 20, 30, 40], sizes: [10, 10, 10, 10, 10], times: [0, 0.12, 0.04, 0.08, 0.2], targets: [{ id: '0', at: 0, time: 0 }, { id: '1', at: 2, time: 0.04 }, { id: '2', at: 4, time: 0.2 }] },
      { offsets: [50, 60], sizes: [10, 10], times: [1, 1.04], targets: [{ id: '3', at: 1, time: 1.04 }] },
    ],
    seeks: [{ id: '4', requestedTime: 2 }, { id: '5', requestedTime: 3 }],
  };
  const narrowed = narrowSampleRequest(request, new Set(['1', '5']));
  assert.deepEqual(narrowed.gops, [{ offsets: [0, 10, 20], sizes: [10, 10, 10], times: [0, 0.12, 0.04], targets: [{ id: '1', at: 2, time: 0.04 }] }]);
  assert.deepEqual(narrowed.seeks, [{ id: '5', requestedTime: 3 }]);
  assert.deepEqual({ ...narrowed, gops: request.gops, seeks: request.seeks }, request, 'the rest of the request unchanged');
});

/**
 * A function whose answers break the wire contract, through the CLI as a
 * subprocess against the fake Invoke API server: a malformed warm-up answer
 * stops the run with one line naming the function and the field (exit 2); a
 * malformed batch answer fails its frames with MALFORMED_RESPONSE (exit 3, the
 * report written). Never an internal error (exit 1).
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ModelIdentity } from '../../src/core/model-manifest.js';
import type { Report } from '../../src/core/report.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeServer, type InvokeHandler } from '../helpers/fake-invoke-server.js';
import { ensureSampleVideo, modelDir, runCli, sampleVideo, tempDir } from './run-cli.js';

const SCORES = { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.05, Sexy: 0.1 };
const FUNCTION = 'frame-classifier';
let model: ModelIdentity;
let work: string;
const servers: FakeInvokeServer[] = [];

before(async () => {
  await ensureSampleVideo();
  model = await bundledModelIdentity(modelDir);
  work = await tempDir('fanout-malformed');
});
after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await rm(work, { recursive: true, force: true });
});

type Payload = Record<string, unknown> & { model: Record<string, unknown>; results: Array<Record<string, unknown>>; timing: Record<string, unknown> };

/** The healthy fake function, with its warm-up and/or batch payloads rewritten. */
async function server(change: { warmup?: (payload: Record<string, unknown>) => unknown; batch?: (payload: Payload, ids: string[]) => unknown }): Promise<{ fake: FakeInvokeServer; counts: { batches: number } }> {
  const healthy = framescoreHandler(cannedClassifier(model, SCORES));
  const counts = { batches: 0 };
  const handler: InvokeHandler = async (event, context) => {
    const reply = await healthy(event, context);
    const frames = (event as { frames?: Array<{ id: string }> }).frames;
    if (!Array.isArray(frames)) return change.warmup === undefined ? reply : { ...reply, payload: change.warmup(reply.payload as Record<string, unknown>) };
    counts.batches += 1;
    return change.batch === undefined ? reply : { ...reply, payload: change.batch(reply.payload as Payload, frames.map((frame) => frame.id)) };
  };
  const fake = await startFakeInvokeServer({ handler, functions: [FUNCTION] });
  servers.push(fake);
  return { fake, counts };
}

function assertNoInternalError(run: { code: number | null; stderr: string }): void {
  assert.notEqual(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /internal error|at .*\.js:\d+/, 'no internal error, no stack trace');
}

const WARMUP_CASES: ReadonlyArray<{ readonly what: string; readonly args: readonly string[]; readonly change: (payload: Record<string, unknown>) => unknown; readonly field: string }> = [
  { what: 'a model without input (the probe before a run)', args: [], change: (payload) => ({ ...payload, model: { ...model, input: undefined } }), field: 'model.input' },
  { what: 'labels that are not a list (--warm)', args: ['--warm', '--concurrency', '3'], change: (payload) => ({ ...payload, model: { ...model, labels: model.labels.join(',') } }), field: 'model.labels' },
  { what: 'repeated labels', args: [], change: (payload) => ({ ...payload, model: { ...model, labels: [model.labels[0], ...model.labels] } }), field: 'model.labels[1]' },
  { what: 'a field of the wrong type', args: [], change: (payload) => ({ ...payload, coldStart: 'yes' }), field: 'coldStart' },
  { what: 'an error body without a code', args: [], change: () => ({ v: 1, error: { message: 'no code' } }), field: 'error.code' },
];

for (const { what, args, change, field } of WARMUP_CASES) {
  test(`classify --function: a warm-up answer with ${what} stops the run with one line naming the function and "${field}", exit 2`, async () => {
    const { fake, counts } = await server({ warmup: change });
    const run = await runCli(['classify', sampleVideo, '--function', FUNCTION, '--frames', '2', '--keyframes', ...args, '--endpoint-url', fake.endpoint, '--out', path.join(work, 'warmup')]);
    assertNoInternalError(run);
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    const quoted = field.replace(/[.[\]]/g, '\\$&');
    assert.match(lines[0]!, new RegExp(`^framescore: Lambda function "${FUNCTION}": MALFORMED_RESPONSE: warm-up response "${quoted}" `));
    assert.equal(counts.batches, 0, 'no frame was sent');
  });
}

test('warm: a malformed warm-up answer is one line naming the function and the field, exit 2', async () => {
  const { fake } = await server({ warmup: (payload) => ({ ...payload, model: { ...model, input: { width: 0, height: 224 } } }) });
  const run = await runCli(['warm', '--function', FUNCTION, '--count', '3', '--hold-ms', '50', '--endpoint-url', fake.endpoint]);
  assertNoInternalError(run);
  assert.equal(run.code, 2, run.stderr);
  const errors = run.stderr.trim().split('\n').filter((line) => !line.startsWith('framescore: warming'));
  assert.deepEqual(errors, [`framescore: Lambda function "${FUNCTION}": MALFORMED_RESPONSE: warm-up response "model.input.width" is not a positive integer`]);
});

/** One malformation per frame (batch size 1, frame i in the batch with id "i"): the field each names, by frame. */
const BATCH_CASES: ReadonlyArray<{ readonly what: string; readonly change: (payload: Payload) => unknown; readonly field: RegExp }> = [
  { what: 'model without input', change: (payload) => ({ ...payload, model: { ...payload.model, input: undefined } }), field: /^response "model\.input" is not an object$/ },
  { what: 'labels not a list', change: (payload) => ({ ...payload, model: { ...payload.model, labels: 'Drawing' } }), field: /^response "model\.labels" is not a list$/ },
  { what: 'scores missing a label', change: (payload) => ({ ...payload, results: payload.results.map((result) => ({ ...result, scores: { ...(result.scores as object), Porn: undefined } })) }), field: /^response "results\[0\]\.scores\.Porn" is not a finite number$/ },
  { what: 'an extra frame', change: (payload) => ({ ...payload, results: [...payload.results, { ...payload.results[0], id: '99' }] }), field: /^response "results\[1\]\.id" \("99"\) was not requested$/ },
  { what: 'a repeated frame', change: (payload) => ({ ...payload, results: [...payload.results, payload.results[0]] }), field: /^response "results\[1\]\.id" \("\d"\) is repeated$/ },
  { what: 'a timing of the wrong type', change: (payload) => ({ ...payload, timing: { ...payload.timing, inferMs: '12' } }), field: /^response "timing\.inferMs" is not a non-negative number of milliseconds$/ },
  { what: 'a top score of the wrong type', change: (payload) => ({ ...payload, results: payload.results.map((result) => ({ ...result, top: { label: 'Neutral', score: null } })) }), field: /^response "results\[0\]\.top\.score" is not a finite number$/ },
];

test('classify --function: malformed batch answers fail their frames with MALFORMED_RESPONSE naming the field, the report is written, exit 3', async () => {
  const { fake } = await server({ batch: (payload, ids) => BATCH_CASES[Number(ids[0])]?.change(payload) ?? payload });
  const out = path.join(work, 'batches');
  const frames = BATCH_CASES.length + 1;
  const run = await runCli(['classify', sampleVideo, '--function', FUNCTION, '--frames', String(frames), '--keyframes', '--batch-size', '1', '--concurrency', '4', '--endpoint-url', fake.endpoint, '--out', out]);
  assertNoInternalError(run);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /failed: MALFORMED_RESPONSE: response "/);
  const report = JSON.parse(await readFile(`${out}.json`, 'utf8')) as Report;
  assert.equal(report.frames.length, frames);
  for (const [index, { what, field }] of BATCH_CASES.entries()) {
    const frame = report.frames.find((entry) => entry.index === index);
    assert.ok(frame?.status === 'failed', `frame ${index} (${what}) failed`);
    assert.equal(frame.code, 'MALFORMED_RESPONSE', what);
    assert.match(frame.message, field, what);
    assert.equal(frame.attempts, 1, `${what}: not retried, the same handler would answer the same`);
  }
  const healthy = report.frames.find((entry) => entry.index === BATCH_CASES.length);
  assert.ok(healthy?.status === 'ok', 'the well-formed answer was scored');
  assert.deepEqual(Object.keys(healthy.scores), model.labels);
  assert.equal(report.summary.frames.failed, BATCH_CASES.length);
});

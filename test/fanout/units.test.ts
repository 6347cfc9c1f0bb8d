/** Unit tests of the fan-out's parts: backoff, batching, REPORT parsing, AIMD, failure classification, cost, journal. */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { FrameResult } from '../../src/core/results.js';
import { journalFile, journalKey, JournalWriter, readJournal } from '../../src/run/journal.js';
import { MAX_REQUEST_BYTES, requestBytes } from '../../src/core/contract.js';
import { AimdLimiter } from '../../src/run/fleet/aimd.js';
import { backoffDelay, retryDelay } from '../../src/run/fleet/backoff.js';
import { Batcher, chooseBatchSize } from '../../src/run/fleet/batching.js';
import { billedGbSeconds, estimateCost } from '../../src/run/fleet/cost.js';
import { classifyErrorResponse, classifyFunctionError, classifyInvokeError } from '../../src/run/fleet/failure.js';
import { parseReportLine, parseTailLog } from '../../src/run/fleet/report-line.js';
import { percentile, Telemetry } from '../../src/run/fleet/telemetry.js';

test('backoff: full jitter below an exponentially growing ceiling, capped', () => {
  const policy = { baseMs: 100, capMs: 2000 };
  assert.equal(backoffDelay(1, policy, () => 0), 0);
  assert.equal(backoffDelay(1, policy, () => 0.999), 99);
  assert.equal(backoffDelay(3, policy, () => 0.5), 200);
  assert.equal(backoffDelay(20, policy, () => 0.999), 1998);
  const draws = Array.from({ length: 2000 }, () => backoffDelay(4, policy));
  assert.ok(draws.every((ms) => ms >= 0 && ms < 800));
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  assert.ok(mean > 330 && mean < 470, `mean ${mean} should be near 400 (uniform jitter)`);
  assert.equal(retryDelay(1, 1500, policy, () => 0), 1500, 'Retry-After is a floor');
  assert.equal(retryDelay(1, 60_000, policy, () => 0), 2000, 'but never past the cap');
});

test('REPORT lines: warm, cold (Init Duration), tail log in base64, and garbage', () => {
  const warm = 'START RequestId: a\nEND RequestId: a\nREPORT RequestId: a\tDuration: 102.35 ms\tBilled Duration: 103 ms\tMemory Size: 2048 MB\tMax Memory Used: 180 MB\t\n';
  assert.deepEqual(parseReportLine(warm), { requestId: 'a', durationMs: 102.35, billedMs: 103, memoryMb: 2048, maxMemoryMb: 180 });
  const cold = 'REPORT RequestId: b Duration: 5.1 ms Billed Duration: 461 ms Memory Size: 1769 MB Max Memory Used: 99 MB Init Duration: 455.50 ms';
  assert.equal(parseReportLine(cold)?.initMs, 455.5);
  assert.equal(parseTailLog(Buffer.from(cold).toString('base64'))?.billedMs, 461);
  assert.equal(parseReportLine('some log line\nREPORT RequestId: c Duration: 1'), undefined, 'a cut-off REPORT line');
  assert.equal(parseTailLog(undefined), undefined);
  assert.equal(parseTailLog('!!!'), undefined);
});

test('batch size: auto spreads frames over one wave of invocations; fixed is kept', () => {
  assert.equal(chooseBatchSize({ kind: 'auto' }, 150, 150), 1);
  assert.equal(chooseBatchSize({ kind: 'auto' }, 100, 150), 1);
  assert.equal(chooseBatchSize({ kind: 'auto' }, 2000, 150), 14);
  assert.equal(chooseBatchSize({ kind: 'auto' }, 100_000, 10), 256, 'at most MAX_FRAMES_PER_REQUEST');
  assert.equal(chooseBatchSize({ kind: 'auto' }, 0, 150), 1);
  assert.equal(chooseBatchSize({ kind: 'fixed', frames: 8 }, 2000, 150), 8);
});

test('batcher: fills to size, flushes early before the payload limit, rejects a frame too big alone', () => {
  const batcher = new Batcher<{ bytes: number; id: number }>(3);
  assert.deepEqual(batcher.add({ bytes: 10, id: 1 }), []);
  assert.deepEqual(batcher.add({ bytes: 10, id: 2 }), []);
  assert.deepEqual(batcher.add({ bytes: 10, id: 3 }).map((batch) => batch.map((item) => item.id)), [[1, 2, 3]]);
  assert.deepEqual(batcher.flush(), []);

  const big = 1_500_000; // base64 2 MB: two fit in 5 MB, three do not
  const sized = new Batcher<{ bytes: number }>(10);
  assert.deepEqual(sized.add({ bytes: big }), []);
  assert.deepEqual(sized.add({ bytes: big }), []);
  const ready = sized.add({ bytes: big });
  assert.equal(ready.length, 1);
  assert.equal(ready[0]!.length, 2);
  assert.ok(requestBytes([big, big], 6) <= MAX_REQUEST_BYTES);
  assert.equal(sized.flush()[0]!.length, 1);
  assert.equal(sized.fits({ bytes: 4_000_000 }), false);
});

test('AIMD: multiplicative decrease once per congestion event, additive increase back up to the cap', () => {
  let now = 0;
  const changes: number[] = [];
  const aimd = new AimdLimiter({ max: 100, now: () => now, onChange: (limit) => changes.push(limit) });
  assert.equal(aimd.limit, 100);
  now = 10;
  aimd.onThrottle(5);
  assert.equal(aimd.limit, 70);
  aimd.onThrottle(6); // sent before the decrease: same event
  aimd.onThrottle(9);
  assert.equal(aimd.limit, 70);
  now = 20;
  aimd.onThrottle(15);
  assert.equal(aimd.limit, 49);
  // About +1 per window of `limit` successes.
  for (let i = 0; i < 49; i += 1) aimd.onSuccess();
  assert.ok(aimd.limit === 49 || aimd.limit === 50, `limit ${aimd.limit}`);
  for (let i = 0; i < 51; i += 1) aimd.onSuccess();
  assert.ok(aimd.limit === 50 || aimd.limit === 51, `limit ${aimd.limit}`);
  const before = aimd.limit;
  for (let i = 0; i < 1000; i += 1) aimd.onSuccess(false);
  assert.equal(aimd.limit, before, 'an unused limit does not grow');
  for (let i = 0; i < 10_000; i += 1) aimd.onSuccess();
  assert.equal(aimd.limit, 100, 'never above --concurrency');
  assert.deepEqual(aimd.stats(), { limit: 100, minLimit: 49, decreases: 2 });
  assert.equal(changes[0], 70);

  // Against a cap of 10, alternating throttles and successes settle around the cap.
  let t = 0;
  const capped = new AimdLimiter({ max: 150, now: () => t });
  for (let round = 0; round < 200; round += 1) {
    t += 1;
    if (capped.limit > 10) capped.onThrottle(t - 0.5);
    else for (let i = 0; i < capped.limit; i += 1) capped.onSuccess();
  }
  assert.ok(capped.limit >= 7 && capped.limit <= 11, `settled at ${capped.limit}`);
});

test('failure classification: throttles, transient faults, permanent and fatal errors', () => {
  const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });
  assert.equal(classifyInvokeError(sdkError('TooManyRequestsException', 429)).kind, 'throttle');
  assert.equal(classifyInvokeError(sdkError('EC2ThrottledException', 502)).kind, 'throttle');
  assert.equal(classifyInvokeError(sdkError('TooManyRequestsException', 429, { retryAfterSeconds: '2' })).retryAfterMs, 2000);
  assert.equal(classifyInvokeError(sdkError('ServiceException', 500)).kind, 'transient');
  assert.equal(classifyInvokeError(sdkError('Whatever', 503)).kind, 'transient');
  assert.equal(classifyInvokeError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).kind, 'transient');
  assert.equal(classifyInvokeError(sdkError('ResourceNotFoundException', 404)).kind, 'fatal');
  assert.equal(classifyInvokeError(sdkError('AccessDeniedException', 403)).kind, 'fatal');
  assert.equal(classifyInvokeError(sdkError('RequestTooLargeException', 413)).kind, 'permanent');
  assert.equal(classifyInvokeError(sdkError('InvalidRequestContentException', 400)).kind, 'permanent');

  assert.equal(classifyFunctionError('Unhandled', { errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited with error: signal: killed' }).kind, 'transient');
  assert.equal(classifyFunctionError('Unhandled', { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 30.03 seconds' }).kind, 'transient');
  assert.equal(classifyFunctionError('Unhandled', { errorMessage: '[504] - Lambda timeout.' }).kind, 'transient', "serverless-offline's timeout");
  const bug = classifyFunctionError('Unhandled', { errorType: 'TypeError', errorMessage: 'x is undefined' });
  assert.deepEqual(bug, { kind: 'permanent', code: 'FunctionError.TypeError', message: 'x is undefined' });

  assert.equal(classifyErrorResponse({ code: 'MODEL_UNAVAILABLE', message: 'S3 timeout' }).kind, 'transient');
  assert.equal(classifyErrorResponse({ code: 'INVALID_REQUEST', message: 'bad' }).kind, 'permanent');
});

test('cost: billed GB-seconds with INIT billed when the billed duration does not cover it', () => {
  assert.deepEqual(billedGbSeconds({ durationMs: 99, billedMs: 100, memoryMb: 2048 }), { total: 0.2, init: 0 });
  const cold = billedGbSeconds({ durationMs: 99, billedMs: 100, memoryMb: 1024, initMs: 399.2 });
  assert.ok(Math.abs(cold.total - 0.5) < 1e-9 && Math.abs(cold.init - 0.4) < 1e-9);
  const included = billedGbSeconds({ durationMs: 99, billedMs: 500, memoryMb: 1024, initMs: 399.2 });
  assert.ok(Math.abs(included.total - 0.5) < 1e-9, 'already in Billed Duration: not counted twice');
  const prices = { architecture: 'arm64' as const, perGbSecond: 0.0000133334, perRequest: 0.0000002 };
  const estimate = estimateCost({ invocations: 1000, reported: 1000, gbSeconds: 300, initGbSeconds: 10 }, prices);
  assert.ok(Math.abs(estimate.usd! - (0.0002 + 300 * 0.0000133334)) < 1e-9);
  assert.equal(estimateCost({ invocations: 10, reported: 0, gbSeconds: 0, initGbSeconds: 0 }, prices).usd, null);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95), 10);
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
  // The maximum is rounded as the percentiles are: a run's p95 never reads above its max.
  const telemetry = new Telemetry();
  for (const latencyMs of [20.31, 30.44]) telemetry.record({ telemetry: { latencyMs, requestBytes: 0 }, ok: true, throttled: false, retry: false, coldStart: false });
  const { latencyMs } = telemetry.facts(1000, prices);
  assert.deepEqual(latencyMs, { p50: 20.3, p95: 30.4, max: 30.4 });
});

test('journal: results read back only under the same key; a torn last line is skipped', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-journal-'));
  try {
    const file = journalFile(path.join(dir, 'episode'));
    const identity = { video: 'episode.mp4', sampling: { mode: { kind: 'count', frames: 3 } }, fit: 'crop', modelSha256: 'a'.repeat(64) };
    const ok = (index: number): FrameResult => ({ index, requestedTime: index, actualTime: index, status: 'ok', scores: { A: 1 }, top: { label: 'A', score: 1 } });
    const writer = await JournalWriter.open(file, identity, [ok(0)]);
    writer.append(ok(1));
    writer.append({ index: 2, requestedTime: 2, actualTime: null, status: 'failed', code: 'X', message: 'y' });
    await writer.close();
    await appendFile(file, '{"index":3,"status":"o');
    const scored = await readJournal(file, journalKey(identity));
    assert.deepEqual([...scored.keys()].sort(), [0, 1], 'ok results only; the failed and the torn one are redone');
    assert.equal((await readJournal(file, journalKey({ ...identity, modelSha256: 'b'.repeat(64) }))).size, 0, 'another model');
    assert.equal((await readJournal(file, journalKey({ ...identity, fit: 'stretch' }))).size, 0, 'other settings');
    assert.equal((await readJournal(path.join(dir, 'missing.jsonl'), journalKey(identity))).size, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

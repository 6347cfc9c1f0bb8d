/**
 * The fleet's answers pass one set of checks (run/fleet/interpret.ts) whether
 * they answer frames sent from here or decode jobs sampled in the function; and
 * the engine's choice of executor (run/executor.ts) from sampleOn and the scorer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTRACT_VERSION, type InvokeRequest } from '../../src/core/contract.js';
import { parseSampleResponse, SAMPLE_KIND, type SampleRequest, type SampleResponse } from '../../src/core/contract-sample.js';
import { InputError } from '../../src/core/errors.js';
import type { MediaInfo } from '../../src/media/probe.js';
import { checkSampleOn, chooseExecutor, type RunScorer } from '../../src/run/executor.js';
import { LambdaConfigError } from '../../src/run/fleet/errors.js';
import { interpretAnswer, interpretResponse } from '../../src/run/fleet/interpret.js';
import type { InvokeOutcome } from '../../src/run/fleet/invoke.js';
import type { LambdaScorer } from '../../src/run/fleet/scorer.js';
import type { OpenedInput } from '../../src/run/opened-input.js';

const SHA = 'a'.repeat(64);
const model = { name: 'm', version: '1', sha256: SHA, labels: ['Neutral', 'Porn'], input: { width: 224, height: 224 } };
const telemetry = { latencyMs: 12.4, requestBytes: 100 };
const frames = [{ index: 3, requestedTime: 1.5, actualTime: 1.48 }, { index: 7, requestedTime: 3.5, actualTime: 3.52 }];
const ok = (id: string, neutral: number, extra: object = {}): object => ({ id, status: 'ok', scores: { Neutral: neutral, Porn: 1 - neutral }, top: { label: 'Neutral', score: neutral }, ...extra });
const answered = (payload: object): InvokeOutcome => ({ ok: true, payload, telemetry });

const invokeRequest: InvokeRequest = { v: CONTRACT_VERSION, frames: [{ id: '3', image: '' }, { id: '7', image: '' }] };
const sampleRequest: SampleRequest = {
  v: CONTRACT_VERSION, kind: SAMPLE_KIND, object: { uri: 's3://b/k.mp4', etag: '"e"', size: 10 }, video: { startTime: 0, rotation: 0, keyframes: false }, fit: 'crop',
  gops: [{ offsets: [0, 5], sizes: [5, 5], times: [1.48, 1.52], targets: [{ id: '3', at: 0, time: 1.48 }] }], seeks: [{ id: '7', requestedTime: 3.5 }],
};
const timing = { coldStart: false, initMs: 0, inferMs: 3 };
const media = { bytesRead: 10, getRequests: 1, framesDecoded: 2, decodeMs: 4 };
const interpretSample = (payload: object, onAnswer?: (answer: SampleResponse) => void): ReturnType<typeof interpretAnswer> =>
  interpretAnswer<SampleResponse>(answered(payload), (value) => parseSampleResponse(value, sampleRequest), frames, SHA, onAnswer);

describe('one set of checks for both kinds of answer', () => {
  it('frames sent from here keep where they were sampled; frames sampled in the function take the time it decoded', () => {
    const batch = interpretResponse(answered({ v: CONTRACT_VERSION, model, timing, results: [ok('3', 0.9), ok('7', 0.2)] }), invokeRequest, frames, SHA);
    assert.equal(batch.kind, 'done');
    assert.deepEqual(batch.kind === 'done' && batch.results.map((result) => [result.index, result.actualTime, result.status === 'ok' && result.top.score]), [[3, 1.48, 0.9], [7, 3.52, 0.2]]);
    const figures: SampleResponse['media'][] = [];
    const sampled = interpretSample({ v: CONTRACT_VERSION, model, timing, media, results: [ok('3', 0.9, { actualTime: 1.5 }), ok('7', 0.2, { actualTime: 3.6 })] }, (answer) => figures.push(answer.media));
    assert.deepEqual(sampled.kind === 'done' && sampled.results.map((result) => [result.index, result.actualTime, result.latencyMs]), [[3, 1.5, 12], [7, 3.6, 12]]);
    assert.deepEqual(figures, [media]);
  });

  it('another model, a malformed payload and an error answer fail the same way for both', () => {
    const other = { ...model, sha256: 'b'.repeat(64) };
    const batch = interpretResponse(answered({ v: CONTRACT_VERSION, model: other, timing, results: [ok('3', 0.9), ok('7', 0.2)] }), invokeRequest, frames, SHA);
    const sampled = interpretSample({ v: CONTRACT_VERSION, model: other, timing, media, results: [ok('3', 0.9, { actualTime: 1.5 }), ok('7', 0.2, { actualTime: 3.6 })] });
    for (const verdict of [batch, sampled]) assert.deepEqual(verdict.kind === 'failed' && [verdict.failure.kind, verdict.failure.code], ['permanent', 'MODEL_MISMATCH']);

    const malformed = interpretSample({ v: CONTRACT_VERSION, model, timing, media, results: [ok('3', 0.9, { actualTime: 1.5 })] });
    assert.ok(malformed.kind === 'failed' && malformed.failure.code === 'MALFORMED_RESPONSE' && /results/.test(malformed.failure.message), JSON.stringify(malformed));

    const refused = { v: CONTRACT_VERSION, error: { code: 'URI_NOT_ALLOWED', message: 'not under the prefixes' } };
    const refusedSample = interpretSample(refused);
    const refusedBatch = interpretResponse(answered(refused), invokeRequest, frames, SHA);
    assert.equal(refusedSample.kind, 'failed');
    assert.deepEqual(refusedSample, refusedBatch);
  });
});

describe('the engine chooses the executor', () => {
  const s3Opened = { source: 's3://media/episodes/a.mp4', input: 'x', s3: { bucket: 'media', key: 'episodes/a.mp4', etag: '"e"', size: 10 } } as unknown as OpenedInput;
  const fileOpened = { source: 'a.mp4', input: 'a.mp4' } as unknown as OpenedInput;
  const video = { stillImage: false } as MediaInfo;
  const local = { kind: 'local' } as RunScorer;
  const fleet = (sampling: object | undefined): RunScorer => ({ kind: 'fleet', sampling, name: 'f' }) as unknown as LambdaScorer;
  const samples = fleet({ available: true, prefixes: ['s3://media/episodes/'] });

  it('lanes for a local scorer or sampleOn local; the fleet for an s3:// object it can read', () => {
    assert.equal(chooseExecutor(local, 'auto', { opened: s3Opened, media: video }).kind, 'lanes');
    assert.equal(chooseExecutor(samples, 'local', { opened: s3Opened, media: video }).kind, 'lanes');
    assert.equal(chooseExecutor(samples, 'auto', { opened: s3Opened, media: video }).kind, 'fleet');
    assert.equal(chooseExecutor(samples, 'lambda', { opened: s3Opened, media: video }).kind, 'fleet');
  });

  it('auto falls back to the lanes saying why; lambda refuses naming the video', () => {
    assert.deepEqual(chooseExecutor(samples, 'auto', { opened: fileOpened, media: video }), { kind: 'lanes', note: 'sampled locally: it is not an s3:// object' });
    assert.throws(() => chooseExecutor(samples, 'lambda', { opened: fileOpened, media: video }), (error: unknown) => error instanceof InputError && error.message === 'cannot sample "a.mp4" in the function: it is not an s3:// object');
    const outside = fleet({ available: true, prefixes: ['s3://other/'] });
    const choice = chooseExecutor(outside, 'auto', { opened: s3Opened, media: video });
    assert.ok(choice.kind === 'lanes' && /not under the function's VIDEO_URI_PREFIXES \(s3:\/\/other\/\)$/.test(choice.note ?? ''), JSON.stringify(choice));
  });

  it('insisting on the fleet needs a fleet that samples', () => {
    assert.throws(() => checkSampleOn(fleet({ available: false, prefixes: [], reason: 'no VIDEO_URI_PREFIXES' }), 'lambda'), (error: unknown) => error instanceof LambdaConfigError && /does not sample videos \(no VIDEO_URI_PREFIXES\)/.test(error.message));
    assert.throws(() => checkSampleOn(fleet(undefined), 'lambda'), /predates sampling in the function/);
    assert.throws(() => checkSampleOn(local, 'lambda'), LambdaConfigError);
    checkSampleOn(fleet(undefined), 'auto');
    checkSampleOn(samples, 'lambda');
  });
});

/**
 * Span jobs on the wire (the times of a Matroska/WebM or MPEG-TS object the function
 * indexes itself): validated both sides with their limits, cut from the plan as
 * invocations are packed, narrowed on retry, advertised in the warm-up answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTRACT_VERSION, MAX_FRAMES_PER_REQUEST, parseWarmupResponse } from '../../src/core/contract.js';
import { MAX_SPANS, parseSampleRequest, parseSampleResponse, SAMPLE_KIND, sampleRequestIds, type SampleRequest } from '../../src/core/contract-sample.js';
import { ContractError } from '../../src/core/errors.js';
import { worthReadingAround } from '../../src/media/index/video-index.js';
import { cutSpans } from '../../src/media/sampling/decode-jobs.js';
import { narrowSampleRequest } from '../../src/run/fleet/sample-and-score.js';

const request: SampleRequest = {
  v: CONTRACT_VERSION, kind: SAMPLE_KIND, object: { uri: 's3://media/ep/1.mkv', etag: '"abc"', size: 1000 },
  video: { startTime: 0, rotation: 0, keyframes: false }, fit: 'crop', track: undefined, gops: [], seeks: [],
  spans: [{ targets: [{ id: '0', requestedTime: 1 }, { id: '1', requestedTime: 2 }] }, { targets: [{ id: '2', requestedTime: 3 }] }],
};

const refusedWith = (message: RegExp) => (error: unknown): boolean => error instanceof ContractError && message.test(error.message);

describe('span jobs on the wire', () => {
  it('accepts spans without a track (the function reads it from the object) and counts their frames', () => {
    assert.deepEqual(parseSampleRequest(request), request);
    assert.deepEqual(sampleRequestIds(request), ['0', '1', '2']);
    const older = { ...request, spans: undefined };
    assert.throws(() => parseSampleRequest({ ...older, seeks: [] }), refusedWith(/hold no frames/), 'no spans, no seeks, no GOPs: nothing to do');
    assert.equal('spans' in parseSampleRequest({ ...older, seeks: [{ id: 'a', requestedTime: 1 }] }), false, 'an older client sends no spans');
  });

  it('carries the client\'s word that an MPEG-TS\'s clock is continuous, true or false only', () => {
    const checked = { ...request, video: { ...request.video, clockContinuous: true } };
    assert.deepEqual(parseSampleRequest(checked), checked);
    assert.equal('clockContinuous' in parseSampleRequest({ ...request, video: { ...request.video, clockContinuous: false } }).video, false, 'false says nothing');
    assert.throws(() => parseSampleRequest({ ...request, video: { ...request.video, clockContinuous: 'yes' } }), refusedWith(/"video\.clockContinuous" is not true or false/));
  });

  it('names the field of a malformed span (the request is answered INVALID_REQUEST for each of its frames)', () => {
    const [first] = request.spans!;
    const bad: Array<[unknown, RegExp]> = [
      [{ ...request, spans: 'x' }, /"spans" is not a list/],
      [{ ...request, spans: [5] }, /"spans\[0\]" is not an object/],
      [{ ...request, spans: [{ targets: [] }] }, /"spans\[0\]\.targets" is not a non-empty list/],
      [{ ...request, spans: [{ targets: [{ id: '', requestedTime: 1 }] }] }, /spans\[0\]\.targets\[0\]\.id/],
      [{ ...request, spans: [{ targets: [{ id: 'a', requestedTime: -1 }] }] }, /spans\[0\]\.targets\[0\]\.requestedTime/],
      [{ ...request, spans: [{ targets: [{ id: 'a', requestedTime: Number.NaN }] }] }, /spans\[0\]\.targets\[0\]\.requestedTime/],
      [{ ...request, spans: [first, first] }, /spans\[1\]\.targets\[0\]\.id.*repeated/],
      [{ ...request, seeks: [{ id: '2', requestedTime: 5 }] }, /spans\[1\]\.targets\[0\]\.id.*repeated/],
    ];
    for (const [event, message] of bad) assert.throws(() => parseSampleRequest(event), refusedWith(message), message.source);
  });

  it('holds at most MAX_SPANS spans and MAX_FRAMES_PER_REQUEST frames in all', () => {
    const spans = (count: number, each: number) => Array.from({ length: count }, (_, s) => ({ targets: Array.from({ length: each }, (_, t) => ({ id: `${s}.${t}`, requestedTime: s + t / 100 })) }));
    assert.equal(parseSampleRequest({ ...request, spans: spans(MAX_SPANS, 1) }).spans!.length, MAX_SPANS);
    assert.throws(() => parseSampleRequest({ ...request, spans: spans(MAX_SPANS + 1, 1) }), refusedWith(/"spans" is not a list of at most 16/));
    assert.equal(sampleRequestIds(parseSampleRequest({ ...request, spans: spans(1, MAX_FRAMES_PER_REQUEST) })).length, MAX_FRAMES_PER_REQUEST);
    assert.throws(() => parseSampleRequest({ ...request, spans: spans(1, MAX_FRAMES_PER_REQUEST + 1) }), refusedWith(/257 frames; at most 256/));
  });

  it('checks an answer has every span frame once, and reads the walks and seeks the function reports', () => {
    const model = { name: 'm', version: '1', sha256: 'a'.repeat(64), labels: ['A', 'B'], input: { width: 224, height: 224 } };
    const ok = (id: string) => ({ id, status: 'ok', scores: { A: 0.2, B: 0.8 }, top: { label: 'B', score: 0.8 }, actualTime: 1 });
    const good = {
      v: CONTRACT_VERSION, model, timing: { coldStart: false, initMs: 0, inferMs: 3 },
      media: { bytesRead: 150, getRequests: 1, framesDecoded: 2, decodeMs: 5, gopWalks: 2, seeks: 0 }, results: [ok('0'), ok('1'), ok('2')],
    };
    const parsed = parseSampleResponse(good, request);
    assert.ok(!('error' in parsed));
    assert.deepEqual([parsed.media.gopWalks, parsed.media.seeks], [2, 0]);
    assert.throws(() => parseSampleResponse({ ...good, results: good.results.slice(0, 2) }, request), /missing 1 of 3/);
    assert.throws(() => parseSampleResponse({ ...good, media: { ...good.media, gopWalks: -1 } }, request), /media\.gopWalks/);
    const older = parseSampleResponse({ ...good, media: { bytesRead: 150, getRequests: 1, framesDecoded: 2, decodeMs: 5 } }, request);
    assert.ok(!('error' in older) && older.media.gopWalks === undefined, 'an older function reports no walks');
  });
});

describe('spans from a plan', () => {
  const plan = (count: number) => Array.from({ length: count }, (_, index) => ({ index, requestedTime: count - index }));

  it('cuts the plan, ordered by time, into one span per lane of consecutive targets, more when a span would pass the frame limit', () => {
    const four = cutSpans(plan(10), { lanes: 4, maxTargets: 256 });
    assert.equal(four.length, 4);
    const times = four.map((span) => span.targets.map((target) => target.requestedTime));
    assert.deepEqual(times.flat(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'ordered by time, each frame once');
    assert.ok(times.every((span) => span.length >= 2 && span.length <= 3), `even sizes: ${JSON.stringify(times)}`);
    assert.equal(four[0]!.targets[0]!.id, '9', 'ids are plan indices');
    const capped = cutSpans(plan(1000), { lanes: 2, maxTargets: 256 });
    assert.equal(capped.length, 4);
    assert.ok(capped.every((span) => span.targets.length <= 256));
    assert.equal(cutSpans(plan(3), { lanes: 10, maxTargets: 256 }).length, 3, 'no more spans than frames');
    assert.deepEqual(cutSpans([], { lanes: 10, maxTargets: 256 }), []);
  });

  it('narrows a span request to the frames left, dropping spans left empty', () => {
    const narrowed = narrowSampleRequest(request, new Set(['1']));
    assert.deepEqual(narrowed.spans, [{ targets: [{ id: '1', requestedTime: 2 }] }]);
    assert.deepEqual(sampleRequestIds(narrowed), ['1']);
  });

  it('reads the index around a span\'s times however dense they are, when asked to', () => {
    const dense = Array.from({ length: 600 }, (_, i) => i);
    assert.equal(worthReadingAround({ times: dense, duration: 600 }, 4), false, 'dense in the file: one pass reads less');
    assert.equal(worthReadingAround({ times: dense, duration: undefined, around: 'always' }, 4), true);
    assert.equal(worthReadingAround({ times: [], duration: 600, around: 'always' }, 4), false, 'no times: nothing to read around');
  });
});

describe('the warm-up answer', () => {
  it('says which containers the function indexes itself for span jobs; older functions say nothing', () => {
    const answer = { warm: true, coldStart: false, initMs: 0, sampling: { available: true, prefixes: ['s3://media/'], containers: ['mp4'], spans: ['matroska', 'mpeg-ts'] } };
    assert.deepEqual(parseWarmupResponse(answer).sampling?.spans, ['matroska', 'mpeg-ts']);
    assert.equal(parseWarmupResponse({ ...answer, sampling: { available: true, prefixes: [] } }).sampling?.spans, undefined);
    assert.throws(() => parseWarmupResponse({ ...answer, sampling: { ...answer.sampling, spans: 'matroska' } }), /sampling\.spans/);
  });
});

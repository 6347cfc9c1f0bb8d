import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTRACT_VERSION } from '../../src/core/contract.js';
import { parseSampleRequest, parseSampleResponse, SAMPLE_KIND, type SampleRequest } from '../../src/core/contract-sample.js';
import { ContractError } from '../../src/core/errors.js';
import { FrameChooser } from '../../src/media/index/frame-choice.js';
import type { Mp4VideoTrack } from '../../src/media/mp4/video-track.js';
import { jobCost, mp4Spans, packInvocations, planDecodeJobs } from '../../src/media/sampling/decode-jobs.js';

/** 10 s at 10 fps, no B-frames, a keyframe every second; sample i lies at byte 1000·i and is 900 bytes. */
function track(): Mp4VideoTrack {
  const count = 100;
  const times = Float64Array.from({ length: count }, (_, i) => i / 10);
  return {
    codec: 'h264', decoderConfig: Buffer.from([1, 2, 3]), width: 320, height: 240, nalLengthSize: 4, sampleCount: count,
    offsets: Float64Array.from({ length: count }, (_, i) => i * 1000), sizes: Uint32Array.from({ length: count }, () => 900), times,
    keyframes: Uint8Array.from({ length: count }, (_, i) => (i % 10 === 0 ? 1 : 0)), shown: Uint32Array.from({ length: count }, (_, i) => i),
  };
}

const planned = (times: readonly number[]) => times.map((requestedTime, index) => ({ index, requestedTime }));

describe('decode jobs', () => {
  it('puts targets that share a GOP in one job, with the byte ranges from its keyframe to its last target', () => {
    const t = track();
    const jobs = planDecodeJobs(planned([0.25, 0.75, 1.5, 5.05]), { times: t.times, chooser: new FrameChooser(t), spans: mp4Spans(t) }, { startTime: 0, keyframes: false });
    assert.equal(jobs.gops.length, 3);
    const [first, second, third] = jobs.gops;
    assert.deepEqual(first!.targets.map((target) => [target.id, target.at, target.time]), [['0', 3, 0.3], ['1', 8, 0.8]]);
    assert.deepEqual(first!.offsets, Array.from({ length: 9 }, (_, i) => i * 1000), 'keyframe 0 to the last target, in decode order');
    assert.deepEqual(second!.targets.map((target) => target.at), [5]);
    assert.equal(second!.offsets[0], 10_000, 'starts at keyframe 10');
    assert.equal(third!.offsets.length, 2);
    assert.deepEqual(jobs.seeks, []);
  });

  it('sends every frame to the per-frame seek without an index, and fails a frame far from its time', () => {
    const none = planDecodeJobs(planned([1, 2]), undefined, { startTime: 0, keyframes: false });
    assert.deepEqual(none.seeks.map((seek) => seek.requestedTime), [1, 2]);
    assert.deepEqual([...none.seekReasons], [['no index for this container', 2]]);
    const t = track();
    const late = planDecodeJobs(planned([9.95]), { times: t.times, chooser: new FrameChooser(t), spans: mp4Spans(t) }, { startTime: 0, keyframes: false });
    assert.equal(late.gops.length + late.seeks.length, 1, 'past the last frame: the seek decides');
  });

  it('packs jobs longest first into at most `lanes` invocations of balanced cost, never over the frame limit', () => {
    const t = track();
    const times = Array.from({ length: 100 }, (_, i) => i / 10 + 0.01);
    const jobs = planDecodeJobs(planned(times), { times: t.times, chooser: new FrameChooser(t), spans: mp4Spans(t) }, { startTime: 0, keyframes: false });
    assert.equal(jobs.gops.length, 10, 'one job per GOP');
    const four = packInvocations(jobs.gops, jobs.seeks, { lanes: 4, maxTargets: 256 });
    assert.equal(four.length, 4);
    const loads = four.map((invocation) => invocation.gops.reduce((sum, gop) => sum + jobCost(gop), 0));
    assert.ok(Math.max(...loads) <= (4 / 3) * (loads.reduce((a, b) => a + b, 0) / 4) + Math.max(...jobs.gops.map(jobCost)), `loads ${loads}`);
    const ids = four.flatMap((invocation) => [...invocation.gops.flatMap((gop) => gop.targets.map((target) => target.id)), ...invocation.seeks.map((seek) => seek.id)]);
    assert.deepEqual(ids.sort(), times.map((_, i) => String(i)).sort(), 'every frame once (the last, past the last frame, as a seek)');
    const capped = packInvocations(jobs.gops, jobs.seeks, { lanes: 1, maxTargets: 25 });
    assert.ok(capped.length >= 4 && capped.every((invocation) => invocation.gops.reduce((sum, gop) => sum + gop.targets.length, 0) <= 25), 'split under the frame limit');
    assert.equal(packInvocations([], [], { lanes: 10, maxTargets: 256 }).length, 0);
    assert.equal(packInvocations(jobs.gops, [], { lanes: 1000, maxTargets: 256 }).length, 10, 'no more invocations than jobs');
  });

  it('plans from any index through its spans: a group whose frames cannot travel together goes to the seek, saying why', () => {
    const t = track();
    // An MPEG-TS-like index: frame i's packets from its PES start to the next frame's; the second second was not read with its keyframe.
    const spans = (first: number, last: number) => (first <= 10 && last >= 10 ? 'its keyframe was not read with it' : {
      offsets: Array.from({ length: last - first + 1 }, (_, i) => (first + i) * 188 * 5), sizes: Array.from({ length: last - first + 1 }, () => 188 * 5),
    });
    const jobs = planDecodeJobs(planned([0.25, 1.5, 2.05]), { times: t.times, chooser: new FrameChooser(t), spans }, { startTime: 0, keyframes: false });
    assert.deepEqual(jobs.gops.map((gop) => [gop.offsets[0], gop.offsets.length, gop.sizes[0], gop.targets[0]!.time]), [[0, 4, 940, 0.3], [20 * 940, 2, 940, 2.1]]);
    assert.deepEqual(jobs.seeks.map((seek) => seek.id), ['1']);
    assert.deepEqual([...jobs.seekReasons], [['its keyframe was not read with it', 1]]);
  });
});

describe('the sample request kind', () => {
  const request: SampleRequest = {
    v: CONTRACT_VERSION, kind: SAMPLE_KIND, object: { uri: 's3://media/ep/1.mp4', etag: '"abc"', size: 1000 },
    video: { startTime: 0, rotation: 0, keyframes: false }, fit: 'crop',
    track: { codec: 'h264', config: 'AQID', width: 320, height: 240, nalLengthSize: 4 },
    gops: [{ offsets: [0, 100], sizes: [100, 50], times: [0, 0.04], targets: [{ id: 'a', at: 1, time: 0.04 }] }],
    seeks: [{ id: 'b', requestedTime: 3 }],
  };

  it('accepts a valid request and names the field of an invalid one', () => {
    assert.deepEqual(parseSampleRequest(request), request);
    const bad: Array<[unknown, RegExp]> = [
      [{ ...request, v: 1 }, /"v" must be 2/],
      [{ ...request, object: { ...request.object, uri: 'https://x/y' } }, /object\.uri/],
      [{ ...request, object: { ...request.object, etag: '' } }, /object\.etag/],
      [{ ...request, video: { ...request.video, rotation: 45 } }, /video\.rotation/],
      [{ ...request, track: undefined }, /"track" is not an object/],
      [{ ...request, gops: [{ ...request.gops[0]!, sizes: [1] }] }, /gops\[0\]\.sizes/],
      [{ ...request, gops: [{ ...request.gops[0]!, targets: [{ id: 'a', at: 5, time: 0 }] }] }, /targets\[0\]\.at/],
      [{ ...request, seeks: [{ id: 'a', requestedTime: 1 }] }, /seeks\[0\]\.id.*repeated/],
      [{ ...request, gops: [], seeks: [] }, /hold no frames/],
      [{ ...request, thumbnails: 9999 }, /thumbnails/],
    ];
    for (const [event, message] of bad) assert.throws(() => parseSampleRequest(event), (error: unknown) => error instanceof ContractError && message.test(error.message), message.source);
  });

  it('takes an MPEG-TS track (its PID, length-prefixed frames) and a WebM VP9 one, and refuses a container it does not decode', () => {
    const ts = { ...request, track: { container: 'mpeg-ts' as const, pid: 256, codec: 'hevc' as const, config: 'AQID', width: 0, height: 0, nalLengthSize: 4 } };
    assert.deepEqual(parseSampleRequest(ts), ts);
    const bad: Array<[unknown, RegExp]> = [
      [{ ...ts, track: { ...ts.track, container: 'avi' } }, /track\.container.*mp4, mpeg-ts/],
      [{ ...ts, track: { ...ts.track, pid: undefined } }, /track\.pid/],
      [{ ...ts, track: { ...ts.track, pid: 0x1fff } }, /track\.pid/],
      [{ ...ts, track: { ...ts.track, nalLengthSize: 2 } }, /track\.nalLengthSize/],
      [{ ...ts, track: { ...ts.track, width: -1 } }, /track\.width/],
      [{ ...ts, track: { codec: 'vp9', config: '', width: 16, height: 16, nalLengthSize: 4 } }, /track\.codec.*"vp9" in "matroska"/],
    ];
    const webm = { ...request, track: { container: 'matroska' as const, codec: 'vp9' as const, config: '', width: 320, height: 240, nalLengthSize: 4 } };
    assert.deepEqual(parseSampleRequest(webm), webm, 'VP9 in Matroska/WebM, with no codec record');
    for (const [event, message] of bad) assert.throws(() => parseSampleRequest(event), (error: unknown) => error instanceof ContractError && message.test(error.message), message.source);
  });

  it('validates an answer against its request: every frame once, times and figures', () => {
    const model = { name: 'm', version: '1', sha256: 'a'.repeat(64), labels: ['A', 'B'], input: { width: 224, height: 224 } };
    const good = {
      v: CONTRACT_VERSION, model, timing: { coldStart: false, initMs: 0, inferMs: 3 }, media: { bytesRead: 150, getRequests: 1, framesDecoded: 2, decodeMs: 5 },
      results: [
        { id: 'a', status: 'ok', scores: { A: 0.2, B: 0.8 }, top: { label: 'B', score: 0.8 }, actualTime: 0.04 },
        { id: 'b', status: 'failed', code: 'OBJECT_CHANGED', message: 'changed' },
      ],
    };
    const parsed = parseSampleResponse(good, request);
    assert.ok(!('error' in parsed) && parsed.results[0]!.actualTime === 0.04 && parsed.media.bytesRead === 150);
    assert.throws(() => parseSampleResponse({ ...good, results: [good.results[0]] }, request), /missing 1 of 2/);
    assert.throws(() => parseSampleResponse({ ...good, results: [{ ...good.results[0], actualTime: -1 }, good.results[1]] }, request), /actualTime/);
    assert.throws(() => parseSampleResponse({ ...good, media: { ...good.media, framesDecoded: 'x' } }, request), /media\.framesDecoded/);
    const refused = parseSampleResponse({ v: CONTRACT_VERSION, error: { code: 'URI_NOT_ALLOWED', message: 'no' } }, request);
    assert.ok('error' in refused && refused.error.code === 'URI_NOT_ALLOWED');
  });
});

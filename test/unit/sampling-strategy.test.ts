/**
 * The planner that weighs how to decode: sparse targets in a long indexed file go
 * indexed, dense targets and small cheap files go sequential, sparse targets without an
 * index go to the seek; and the stretches it prices are the ones the sampler decodes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFrames } from '../../src/core/sampling-plan.js';
import { chooseStrategy, estimate, type DecodeFacts } from '../../src/media/sampling/strategy.js';
import { planStretches } from '../../src/media/sampling/stretch-plan.js';

const MP4 = 'mov,mp4,m4a,3gp,3g2,mj2';
const keyframesEvery = (seconds: number, duration: number): number[] => Array.from({ length: Math.ceil(duration / seconds) }, (_, i) => i * seconds);

/** The bench file: 30 minutes of 1080p25 H.264, a keyframe every 2 s, as its index says. */
const broadcast: DecodeFacts = {
  container: MP4, codec: 'h264', width: 1920, height: 1080, frameRate: 25, duration: 1800,
  frameCount: 45_000, keyframeTimes: keyframesEvery(2, 1800),
};
const shortMp4: DecodeFacts = { container: MP4, codec: 'h264', width: 320, height: 240, frameRate: 25, duration: 8, frameCount: 200, keyframeTimes: keyframesEvery(1, 8) };
const tinyAvi: DecodeFacts = { container: 'avi', codec: 'mpeg4', width: 320, height: 240, frameRate: 24, duration: 20, indexable: false };

function times(facts: DecodeFacts, mode: Parameters<typeof planFrames>[0]['mode']): number[] {
  return planFrames({ mode, keyframes: false }, facts).map((frame) => frame.requestedTime);
}

describe('sampling strategy', () => {
  it('sends 150 frames of a 30-minute 1080p MP4 through the index, far cheaper than decoding it all', () => {
    const choice = chooseStrategy(broadcast, { times: times(broadcast, { kind: 'count', frames: 150 }), keyframes: false, cores: 2 });
    assert.equal(choice.strategy, 'indexed');
    const [indexed, seek, sequential] = choice.estimates;
    assert.deepEqual(choice.estimates.map((e) => e.strategy), ['indexed', 'seek', 'sequential']);
    assert.ok(indexed!.seconds < 5 && seek!.seconds > 20 && sequential!.seconds > 100, JSON.stringify(choice.estimates));
    assert.match(choice.reason, /^150 frames touching 150 of 900 GOPs; \d+\.\d× cheaper than seek$/);
  });

  it('also with --keyframes', () => {
    assert.equal(chooseStrategy(broadcast, { times: times(broadcast, { kind: 'count', frames: 150 }), keyframes: true, cores: 2 }).strategy, 'indexed');
  });

  it('seeks per frame for sparse targets in a long file the indexed path cannot take', () => {
    const mkv = { ...broadcast, container: 'matroska,webm', keyframeTimes: undefined, frameCount: undefined, indexable: false };
    const choice = chooseStrategy(mkv, { times: times(mkv, { kind: 'count', frames: 150 }), keyframes: false, cores: 2 });
    assert.equal(choice.strategy, 'seek');
    assert.match(choice.reason, /GOPs \(assumed 2 s long\)/);
  });

  it('walks the GOPs once through the index for --every 1 of the 30-minute file, well under a full decode', () => {
    const request = { times: times(broadcast, { kind: 'every', seconds: 1 }), keyframes: false, cores: 2 };
    assert.equal(request.times.length, 1800);
    const choice = chooseStrategy(broadcast, request);
    assert.equal(choice.strategy, 'indexed');
    assert.ok(estimate('indexed', broadcast, request).seconds < 0.5 * estimate('sequential', broadcast, request).seconds);
  });

  it('decodes straight through for --every 0.04 (every frame) of a short MP4', () => {
    const choice = chooseStrategy(shortMp4, { times: times(shortMp4, { kind: 'every', seconds: 0.04 }), keyframes: false, cores: 2 });
    assert.equal(choice.strategy, 'sequential');
    assert.equal(choice.estimates[choice.estimates.length - 1]!.strategy, 'seek');
  });

  it('decodes straight through for every frame of a short file without an index', () => {
    const frames = Array.from({ length: 480 }, (_, i) => i / 24);
    assert.equal(chooseStrategy(tinyAvi, { times: frames, keyframes: false, cores: 2 }).strategy, 'sequential');
  });

  it('decodes a tiny 320×240 AVI straight through even for 150 sparse frames, and never offers the index it lacks', () => {
    const choice = chooseStrategy(tinyAvi, { times: times(tinyAvi, { kind: 'count', frames: 150 }), keyframes: false, cores: 2 });
    assert.equal(choice.strategy, 'sequential');
    assert.deepEqual(choice.estimates.map((e) => e.strategy), ['sequential', 'seek']);
    assert.ok(choice.estimates[1]!.seconds > 5 * choice.estimates[0]!.seconds);
  });

  it('keeps forced choices to what is allowed', () => {
    const choice = chooseStrategy(broadcast, { times: [10], keyframes: false, cores: 2 }, ['seek', 'sequential']);
    assert.equal(choice.strategy, 'seek');
  });
});

describe('stretch plan', () => {
  it('splits targets into contiguous stretches of about equal length, in time order', () => {
    const stretches = planStretches([9, 1, 2, 3, 8, 7, 10, 0], 2, 100);
    assert.deepEqual(stretches, [[0, 1, 2, 3], [7, 8, 9, 10]]);
  });

  it('caps the targets a stretch carries', () => {
    assert.deepEqual(planStretches([5, 5, 5, 5, 5], 2, 2), [[5, 5], [5, 5], [5]]);
    assert.deepEqual(planStretches([], 2, 10), []);
    const many = planStretches(Array.from({ length: 2500 }, (_, i) => i), 2, 1000);
    assert.deepEqual(many.map((stretch) => stretch.length), [1000, 250, 1000, 250]);
  });
});

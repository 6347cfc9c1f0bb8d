import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { planFrames, planFromScenes, type SamplingSettings } from '../../src/core/sampling-plan.js';

const media = { duration: 100, frameRate: 25 };
const settings = (mode: SamplingSettings['mode'], extra: Partial<SamplingSettings> = {}): SamplingSettings => ({ mode, keyframes: false, ...extra });

describe('sampling plan', () => {
  it('spaces N frames at the middle of N equal slices', () => {
    const plan = planFrames(settings({ kind: 'count', frames: 4 }), media);
    assert.deepEqual(plan.map((frame) => frame.requestedTime), [12.5, 37.5, 62.5, 87.5]);
    assert.deepEqual(plan.map((frame) => frame.index), [0, 1, 2, 3]);
  });

  it('restricts to --start/--end', () => {
    const plan = planFrames(settings({ kind: 'count', frames: 2 }, { start: 10, end: 20 }), media);
    assert.deepEqual(plan.map((frame) => frame.requestedTime), [12.5, 17.5]);
  });

  it('takes a frame every S seconds from the start, never past the end', () => {
    const plan = planFrames(settings({ kind: 'every', seconds: 30 }), media);
    assert.deepEqual(plan.map((frame) => frame.requestedTime), [0, 30, 60, 90]);
    const exact = planFrames(settings({ kind: 'every', seconds: 25 }), media);
    assert.deepEqual(exact.map((frame) => frame.requestedTime), [0, 25, 50, 75]);
  });

  it('keeps --at times as given and refuses times beyond the end', () => {
    assert.deepEqual(planFrames(settings({ kind: 'at', times: [5, 1.5] }), media).map((f) => f.requestedTime), [5, 1.5]);
    assert.throws(() => planFrames(settings({ kind: 'at', times: [5, 120] }), media), (error: unknown) => error instanceof InputError && /beyond the end/.test(error.message));
  });

  it('clamps a request at the very end to the last frame', () => {
    const plan = planFrames(settings({ kind: 'at', times: [100] }), media);
    assert.equal(plan[0]!.requestedTime, 99.96);
  });

  it('rejects a window outside the video', () => {
    assert.throws(() => planFrames(settings({ kind: 'count', frames: 3 }, { start: 150 }), media), InputError);
    assert.throws(() => planFrames(settings({ kind: 'count', frames: 3 }, { start: 20, end: 10 }), media), InputError);
  });

  it('plans a still image as one frame', () => {
    assert.deepEqual(planFrames(settings({ kind: 'count', frames: 150 }), { duration: 0, frameRate: 0 }), [{ index: 0, requestedTime: 0 }]);
  });

  it('keeps the first frame and the strongest scene changes, in time order', () => {
    const changes = [{ time: 10, score: 0.4 }, { time: 20, score: 0.9 }, { time: 30, score: 0.35 }, { time: 40, score: 0.8 }, { time: 50, score: 0.1 }];
    const plan = planFromScenes(changes, settings({ kind: 'scenes', threshold: 0.3, maxFrames: 3 }), media);
    assert.deepEqual(plan.map((frame) => frame.requestedTime), [0, 20, 40]);
    const all = planFromScenes(changes, settings({ kind: 'scenes', threshold: 0.3, maxFrames: 100 }), media);
    assert.deepEqual(all.map((frame) => frame.requestedTime), [0, 10, 20, 30, 40]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameResult } from '../../src/core/results.js';
import { summarise } from '../../src/core/summary.js';

function ok(index: number, time: number, a: number): FrameResult {
  return { index, requestedTime: time, actualTime: time, status: 'ok', scores: { A: a, B: 1 - a }, top: a >= 0.5 ? { label: 'A', score: a } : { label: 'B', score: 1 - a } };
}

describe('summary', () => {
  it('computes per-label mean, max, time of max and frames over the threshold', () => {
    const frames = [ok(0, 0, 0.1), ok(1, 1, 0.9), ok(2, 2, 0.7), ok(3, 3, 0.2)];
    const summary = summarise(frames, ['A', 'B'], 0.5);
    assert.equal(summary.labels.A!.max, 0.9);
    assert.equal(summary.labels.A!.maxTime, 1);
    assert.ok(Math.abs(summary.labels.A!.mean - 0.475) < 1e-12);
    assert.equal(summary.labels.A!.framesOverThreshold, 2);
    assert.equal(summary.labels.B!.framesOverThreshold, 2);
    assert.deepEqual(summary.frames, { total: 4, ok: 4, failed: 0 });
  });

  it('finds contiguous segments in time order with their peak', () => {
    const frames = [ok(3, 3, 0.8), ok(0, 0, 0.6), ok(1, 1, 0.9), ok(2, 2, 0.1), ok(4, 4, 0.2)];
    const segments = summarise(frames, ['A'], 0.5).segments;
    assert.deepEqual(segments, [
      { label: 'A', start: 0, end: 1, peak: 0.9, peakTime: 1, frames: 2 },
      { label: 'A', start: 3, end: 3, peak: 0.8, peakTime: 3, frames: 1 },
    ]);
  });

  it('leaves failed frames out: they neither break nor extend a segment', () => {
    const failed: FrameResult = { index: 1, requestedTime: 1, actualTime: null, status: 'failed', code: 'NO_FRAME', message: 'x' };
    const summary = summarise([ok(0, 0, 0.9), failed, ok(2, 2, 0.8)], ['A'], 0.5);
    assert.equal(summary.segments.length, 1);
    assert.deepEqual(summary.frames, { total: 3, ok: 2, failed: 1 });
  });

  it('handles a run where nothing was scored', () => {
    const summary = summarise([], ['A'], 0.5);
    assert.deepEqual(summary.labels.A, { mean: 0, max: 0, maxTime: null, framesOverThreshold: 0 });
  });
});

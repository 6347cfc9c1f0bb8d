import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { uniqueReportBases } from '../../src/report/write-report.js';

describe('report names for several inputs', () => {
  it('numbers inputs whose names collide, in input order, and never hands out a reserved name', () => {
    const bases = uniqueReportBases(['a/ep.mp4', 'b/ep.mp4', 'ep.mov', 's3://media/framescore-index.mp4', 'other.mp4'], 'out', ['framescore-index']);
    assert.deepEqual(bases, ['ep', 'ep-2', 'ep-3', 'framescore-index-2', 'other'].map((name) => path.join('out', name)));
  });
});

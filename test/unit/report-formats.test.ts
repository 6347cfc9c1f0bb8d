import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REPORT_SCHEMA, type Report } from '../../src/core/report.js';
import { toCsv, toJsonl } from '../../src/core/report-formats.js';
import { summarise } from '../../src/core/summary.js';
import type { FrameResult } from '../../src/core/results.js';

const frames: FrameResult[] = [
  { index: 0, requestedTime: 1, actualTime: 1.02, status: 'ok', scores: { A: 0.25, B: 0.75 }, top: { label: 'B', score: 0.75 } },
  { index: 1, requestedTime: 2, actualTime: null, status: 'failed', code: 'NO_FRAME', message: 'no frame, "really"' },
];
const report: Report = {
  schema: REPORT_SCHEMA,
  generator: { name: 'framescore', version: '0.0.0' },
  video: { source: 'dir/my, video.mp4', container: 'mp4', codec: 'h264', duration: 3, frameRate: 25, width: 320, height: 240, rotation: 0, stillImage: false },
  model: { name: 'm', version: '1', sha256: 'f'.repeat(64), labels: ['A', 'B'], input: { width: 224, height: 224 } },
  sampling: { mode: { kind: 'count', frames: 2 }, keyframes: false, description: '2 evenly spaced frames', fit: 'crop' },
  frames,
  summary: summarise(frames, ['A', 'B'], 0.5),
  run: { mode: 'local', scorer: 'test', startedAt: '', finishedAt: '', wallMs: 1, framesPerSecond: 1, interrupted: false },
};

describe('report formats', () => {
  it('writes one CSV row per frame with label columns and quoted fields', () => {
    const lines = toCsv(report).trimEnd().split('\n');
    assert.equal(lines[0], 'video,index,requested_s,actual_s,timecode,A,B,top_label,top_score,status,error');
    assert.equal(lines[1], '"dir/my, video.mp4",0,1.000,1.020,00:00:01.020,0.250000,0.750000,B,0.750000,ok,');
    assert.equal(lines[2], '"dir/my, video.mp4",1,2.000,,00:00:02.000,,,,,failed,"NO_FRAME: no frame, ""really"""');
  });

  it('writes JSONL lines that name video and model', () => {
    const lines = toJsonl(report).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.video, 'dir/my, video.mp4');
    assert.equal(lines[0]!.model, 'f'.repeat(64));
    assert.equal(lines[1]!.code, 'NO_FRAME');
  });
});

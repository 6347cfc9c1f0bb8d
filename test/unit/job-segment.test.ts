/**
 * Decode jobs' bytes: the coded frames a job's bytes hold on the function's side, for
 * MP4 samples and MPEG-TS spans (hand-built transport packets, audio interleaved), a job
 * narrowed after a deadline included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { narrowSampleRequest } from '../../src/run/fleet/sample-and-score.js';
import { CONTRACT_VERSION } from '../../src/core/contract.js';
import { SAMPLE_KIND, type GopJob, type SampleRequest, type SampleTrack } from '../../src/core/contract-sample.js';
import { segmentOfJob } from '../../src/media/sampling/job-segment.js';

const VIDEO_PID = 256;
const AUDIO_PID = 257;

/** Transport packets carrying `payload` on `pid`, the last padded with adaptation-field stuffing. */
function packets(pid: number, payload: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < payload.length; at += 184) {
    const part = payload.subarray(at, at + 184);
    const packet = Buffer.alloc(188, 0xff);
    packet[0] = 0x47;
    packet[1] = (at === 0 ? 0x40 : 0) | (pid >> 8);
    packet[2] = pid & 0xff;
    if (part.length === 184) {
      packet[3] = 0x10;
      part.copy(packet, 4);
    } else {
      packet[3] = 0x30;
      const stuffing = 184 - part.length - 1;
      packet[4] = stuffing;
      if (stuffing > 0) packet[5] = 0;
      part.copy(packet, 5 + stuffing);
    }
    out.push(packet);
  }
  return out;
}

/** A PES with a PTS around Annex B NAL units. */
function pes(units: readonly Buffer[], pts: number): Buffer {
  const stamp = Buffer.from([0x21 | ((pts >> 29) & 0x0e), (pts >> 22) & 0xff, ((pts >> 14) & 0xfe) | 1, (pts >> 7) & 0xff, ((pts << 1) & 0xfe) | 1]);
  return Buffer.concat([Buffer.from([0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5]), stamp, ...units.flatMap((unit) => [Buffer.from([0, 0, 0, 1]), unit])]);
}

/** H.264 NAL units: an IDR slice (type 5) or a non-IDR one (type 1), `size` bytes. */
const slice = (idr: boolean, size: number, fill: number): Buffer => Buffer.concat([Buffer.from([idr ? 0x65 : 0x41]), Buffer.alloc(size - 1, fill)]);

describe('a decode job\'s frames from its bytes', () => {
  const track: SampleTrack = { container: 'mpeg-ts', pid: VIDEO_PID, codec: 'h264', config: 'AQID', width: 0, height: 0, nalLengthSize: 4 };
  // Three frames of 300, 100 and 500 bytes, an audio packet between the first two: each frame's span runs to the next frame's PES start.
  const units = [slice(true, 300, 1), slice(false, 100, 2), slice(false, 500, 3)];
  const parts = [packets(VIDEO_PID, pes([units[0]!], 0)), [...packets(AUDIO_PID, Buffer.alloc(50, 9)), ...packets(VIDEO_PID, pes([units[1]!], 3600))], packets(VIDEO_PID, pes([units[2]!], 7200))];
  const lead = Buffer.alloc(188 * 2, 0); // bytes before the job's first frame (never read as packets)
  const spans = parts.map((list) => Buffer.concat(list));
  const offsets = spans.map((_, i) => lead.length + spans.slice(0, i).reduce((sum, span) => sum + span.length, 0));
  const file = Buffer.concat([lead, ...spans]);
  const job: GopJob = { offsets, sizes: spans.map((span) => span.length), times: [0, 0.04, 0.08], targets: [{ id: 'a', at: 1, time: 0.04 }, { id: 'b', at: 2, time: 0.08 }] };
  const lengthPrefixed = (unit: Buffer): Buffer => sized(unit);
  function sized(unit: Buffer): Buffer {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(unit.length);
    return Buffer.concat([size, unit]);
  }

  it('walks an MPEG-TS span for the video PID: each frame length-prefixed, audio left out, the targets named', () => {
    const from = offsets[0]!;
    const segment = segmentOfJob(file.subarray(from), from, job, track, [1, 2]);
    assert.ok(typeof segment !== 'string', String(segment));
    assert.deepEqual(segment.frames.map((frame) => frame.data), units.map(lengthPrefixed));
    assert.deepEqual(segment.frames.map((frame) => [frame.time, frame.keyframe]), [[0, true], [0.04, false], [0.08, false]]);
    assert.deepEqual(segment.targets, [1, 2]);
  });

  it('a job narrowed after a deadline reads a shorter span and gives the same frames up to its last target', () => {
    const request: SampleRequest = {
      v: CONTRACT_VERSION, kind: SAMPLE_KIND, object: { uri: 's3://media/ep/1.ts', etag: '"e"', size: file.length }, video: { startTime: 0, rotation: 0, keyframes: false },
      fit: 'crop', track, gops: [job], seeks: [],
    };
    const narrowed = narrowSampleRequest(request, new Set(['a']));
    assert.equal(narrowed.track, track, 'the track (container, PID) travels unchanged');
    const cut = narrowed.gops[0]!;
    assert.deepEqual(cut.offsets, offsets.slice(0, 2));
    const from = cut.offsets[0]!;
    const segment = segmentOfJob(file.subarray(from, cut.offsets[1]! + cut.sizes[1]!), from, cut, track, [1]);
    assert.ok(typeof segment !== 'string', String(segment));
    assert.deepEqual(segment.frames.map((frame) => frame.data), units.slice(0, 2).map(lengthPrefixed));
  });

  it('says why when the span holds fewer frames than the job lists (bytes that are not its transport stream)', () => {
    const from = offsets[0]!;
    const wrong = segmentOfJob(file.subarray(from, from + spans[0]!.length), from, job, track, [1, 2]);
    assert.match(String(wrong), /its 3 frames were not all in its bytes \(1 found\)/);
  });

  it('cuts MP4 samples out as they are', () => {
    const samples = [sized(slice(true, 20, 1)), sized(slice(false, 10, 2))];
    const bytes = Buffer.concat([Buffer.alloc(7), ...samples]);
    const mp4: GopJob = { offsets: [107, 107 + samples[0]!.length], sizes: samples.map((sample) => sample.length), times: [0, 0.04], targets: [{ id: 'a', at: 1, time: 0.04 }] };
    const segment = segmentOfJob(bytes, 100, mp4, { codec: 'h264', config: 'AQID', width: 16, height: 16, nalLengthSize: 4 }, [1]);
    assert.ok(typeof segment !== 'string', String(segment));
    assert.deepEqual(segment.frames.map((frame) => frame.data), samples);
  });
});

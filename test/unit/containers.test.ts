/** The pure parts of the container work: Annex B to MP4-style samples, the avcC built for it, open-GOP segments, the VP9 feed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { annexBUnits, avcConfigFrom, lengthPrefixed } from '../../src/media/codec/annex-b.js';
import { createFeed } from '../../src/media/feed/feed.js';
import { segmentFromBytes } from '../../src/media/index/segment.js';
import { shownByTime } from '../../src/media/index/video-index.js';

const SPS = Buffer.from([0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9]);
const PPS = Buffer.from([0x68, 0xeb, 0xe3, 0xcb]);
const AUD = Buffer.from([0x09, 0xf0]);
const IDR = Buffer.from([0x65, 0x88, 0x84, 0x00, 0x10]);

describe('Annex B (MPEG-TS H.264)', () => {
  it('splits on 3- and 4-byte start codes and drops trailing zero bytes', () => {
    const stream = Buffer.concat([Buffer.from([0, 0, 0, 1]), AUD, Buffer.from([0, 0, 1]), SPS, Buffer.from([0, 0, 0, 1]), PPS, Buffer.from([0, 0]), Buffer.from([0, 0, 1]), IDR]);
    assert.deepEqual(annexBUnits(stream).map((unit) => unit.toString('hex')), [AUD, SPS, PPS, IDR].map((unit) => unit.toString('hex')));
  });

  it('writes 4-byte lengths and an avcC with lengthSizeMinusOne 3 and the SPS profile bytes', () => {
    const sample = lengthPrefixed([SPS, IDR]);
    assert.equal(sample.readUInt32BE(0), SPS.length);
    assert.equal(sample.readUInt32BE(4 + SPS.length), IDR.length);
    const avcC = avcConfigFrom([AUD, SPS, PPS, IDR])!;
    assert.deepEqual([...avcC.subarray(0, 6)], [1, 0x64, 0x00, 0x1f, 0xff, 0xe1]);
    assert.equal(avcC.readUInt16BE(6), SPS.length);
    assert.equal(avcConfigFrom([AUD, IDR]), undefined);
  });
});

describe('open-GOP segments', () => {
  it('starts at a keyframe that is not an IDR, marks the walk open and leaves out its leading pictures', () => {
    // Decode order: I (non-IDR, shown at 1.0), B shown at 0.92 (a leading picture), P at 1.08, target b at 1.04.
    const units = [Buffer.from([0x41, 0x9a, 0x01]), Buffer.from([0x21, 0x9e, 0x01]), Buffer.from([0x41, 0x9a, 0x02]), Buffer.from([0x01, 0x9e, 0x02])];
    const samples = units.map((unit) => lengthPrefixed([unit]));
    const offsets = new Float64Array(samples.length);
    samples.reduce((at, sample, i) => { offsets[i] = at; return at + sample.length; }, 0);
    const track = { offsets, sizes: Uint32Array.from(samples, (s) => s.length), times: Float64Array.from([1.0, 0.92, 1.08, 1.04]), nalLengthSize: 4, codec: 'h264' as const };
    const segment = segmentFromBytes(Buffer.concat(samples), 0, track, 0, [3]);
    assert.ok(typeof segment !== 'string', String(segment));
    assert.equal(segment.openGop, true);
    assert.deepEqual(segment.frames.map((frame) => frame.time), [1.0, 1.08, 1.04]);
    assert.deepEqual(segment.targets, [2]);
  });
});

describe('VP9 feed and shown order', () => {
  it('feeds VP9 as Matroska V_VP9 without CodecPrivate, every frame from the keyframe', () => {
    const feed = createFeed({ codec: 'vp9', decoderConfig: Buffer.alloc(0), width: 320, height: 240 });
    assert.equal(feed.demuxer, 'matroska');
    assert.ok(feed.header.includes(Buffer.from('V_VP9')));
    assert.ok(!feed.header.includes(Buffer.from([0x63, 0xa2])), 'no CodecPrivate element');
    const track = { offsets: Float64Array.from([0, 1, 2]), sizes: Uint32Array.from([1, 1, 1]), times: Float64Array.from([0, 0.04, 0.08]), nalLengthSize: 4, codec: 'vp9' as const };
    const segment = segmentFromBytes(Buffer.from([1, 2, 3]), 0, track, 0, [2]);
    assert.ok(typeof segment !== 'string');
    assert.equal(segment.frames.length, 3);
    assert.deepEqual(segment.targets, [2]);
  });

  it('orders frames by presentation time, ties in decode order', () => {
    assert.deepEqual([...shownByTime(Float64Array.from([0, 0.12, 0.04, 0.08, 0.08]))], [0, 2, 3, 4, 1]);
  });
});

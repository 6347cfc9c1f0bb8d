/**
 * The pure parts of indexed sampling: the MP4 sample table (built here box by box, so
 * edge cases ffmpeg's muxer never writes are covered), frame choice, H.264 access-unit
 * facts, the FLV timeline and the JPEG stream splitter.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { JpegSplitter } from '../../src/media/decode/jpeg-splitter.js';
import { FrameChooser } from '../../src/media/index/frame-choice.js';
import { createFeed } from '../../src/media/feed/feed.js';
import { accessUnitFacts } from '../../src/media/codec/nal-units.js';
import type { CodedSegment } from '../../src/media/index/segment.js';
import { parseMoov, type Mp4VideoTrack } from '../../src/media/mp4/video-track.js';

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}
function u32(...values: number[]): Buffer {
  const buffer = Buffer.alloc(4 * values.length);
  values.forEach((value, i) => buffer.writeInt32BE(value | 0, 4 * i));
  return buffer;
}
function u64(...values: number[]): Buffer {
  const buffer = Buffer.alloc(8 * values.length);
  values.forEach((value, i) => buffer.writeBigUInt64BE(BigInt(value), 8 * i));
  return buffer;
}
const fullBox = (type: string, version: number, ...payload: Buffer[]): Buffer => box(type, Buffer.from([version, 0, 0, 0]), ...payload);
const avcC = Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 4, 0x68, 0xee, 0x3c, 0x80]);

interface MoovSpec {
  readonly sizes: number[];
  /** [first chunk (1-based), samples per chunk] */
  readonly stsc: [number, number][];
  readonly chunkOffsets: number[];
  readonly wideOffsets?: boolean;
  readonly deltas: number;
  readonly ctts?: number[];
  readonly sync?: number[];
  /** [segment duration (movie ticks), media time] */
  readonly edits?: [number, number][];
  readonly codec?: string;
}

function moov(spec: MoovSpec): Buffer {
  const entry = box(spec.codec ?? 'avc1', Buffer.alloc(78), box('avcC', avcC));
  const stbl = box('stbl',
    fullBox('stsd', 0, u32(1), entry),
    fullBox('stts', 0, u32(1, spec.sizes.length, spec.deltas)),
    ...(spec.ctts ? [fullBox('ctts', 0, u32(spec.ctts.length, ...spec.ctts.flatMap((offset) => [1, offset])))] : []),
    ...(spec.sync ? [fullBox('stss', 0, u32(spec.sync.length, ...spec.sync))] : []),
    fullBox('stsc', 0, u32(spec.stsc.length, ...spec.stsc.flatMap(([first, per]) => [first, per, 1]))),
    fullBox('stsz', 0, u32(0, spec.sizes.length, ...spec.sizes)),
    spec.wideOffsets ? fullBox('co64', 0, u32(spec.chunkOffsets.length), u64(...spec.chunkOffsets)) : fullBox('stco', 0, u32(spec.chunkOffsets.length, ...spec.chunkOffsets)),
  );
  const mdia = box('mdia',
    fullBox('mdhd', 0, u32(0, 0, 12_800, 0), Buffer.alloc(4)),
    fullBox('hdlr', 0, u32(0), Buffer.from('vide'), Buffer.alloc(13)),
    box('minf', stbl),
  );
  const edts = spec.edits ? [box('edts', fullBox('elst', 0, u32(spec.edits.length, ...spec.edits.flatMap(([duration, media]) => [duration, media, 0x10000]))))] : [];
  const sound = box('trak', box('mdia', fullBox('hdlr', 0, u32(0), Buffer.from('soun'), Buffer.alloc(13))));
  const moovBox = box('moov', fullBox('mvhd', 0, u32(0, 0, 1000, 0)), sound, box('trak', ...edts, mdia));
  return moovBox.subarray(8);
}

function track(spec: MoovSpec): Mp4VideoTrack {
  const reading = parseMoov(moov(spec));
  if ('unsupported' in reading) throw new Error(reading.unsupported);
  return reading.track;
}

describe('MP4 sample table', () => {
  it('places samples through several stsc runs and 64-bit chunk offsets', () => {
    const t = track({ sizes: [10, 20, 30, 40, 50, 60], stsc: [[1, 2], [3, 1]], chunkOffsets: [2 ** 33, 2 ** 33 + 500, 9000, 9500], wideOffsets: true, deltas: 512 });
    assert.deepEqual([...t.offsets], [2 ** 33, 2 ** 33 + 10, 2 ** 33 + 500, 2 ** 33 + 530, 9000, 9500]);
    assert.deepEqual([...t.sizes], [10, 20, 30, 40, 50, 60]);
    assert.equal(t.nalLengthSize, 4);
    assert.deepEqual([...t.decoderConfig], [...avcC]);
    // No stss: every sample is a keyframe.
    assert.deepEqual([...t.keyframes], [1, 1, 1, 1, 1, 1]);
  });

  it('puts B-frames in display order and applies the edit list as ffmpeg does', () => {
    // Decode order I P B B at 512 ticks (25 fps at 12.8 kHz); the edit hides the first 1024 ticks of composition delay.
    const t = track({ sizes: [1, 1, 1, 1], stsc: [[1, 4]], chunkOffsets: [100], deltas: 512, ctts: [1024, 2048, 512, 512], sync: [1], edits: [[160, 1024]] });
    assert.deepEqual([...t.times], [0, 0.12, 0.04, 0.08]);
    assert.deepEqual([...t.shown], [0, 2, 3, 1]);
    assert.deepEqual([...t.keyframes], [1, 0, 0, 0]);
  });

  it('starts the timeline at the first composition offset when the edit starts at media time 0, as ffmpeg does', () => {
    const t = track({ sizes: [1, 1, 1, 1], stsc: [[1, 4]], chunkOffsets: [100], deltas: 512, ctts: [1024, 2048, 512, 512], sync: [1], edits: [[160, 0]] });
    assert.deepEqual([...t.times], [0, 0.12, 0.04, 0.08]);
  });

  it('shifts times by an empty edit and hides samples before the shown range', () => {
    // 500 movie ticks (0.5 s) of nothing, then media from tick 512: sample 0 is never shown.
    const t = track({ sizes: [1, 1, 1], stsc: [[1, 3]], chunkOffsets: [0], deltas: 512, sync: [1, 2], edits: [[500, -1], [0, 512]] });
    assert.deepEqual([...t.times].map((x) => Number(x.toFixed(3))), [0.46, 0.5, 0.54]);
    assert.deepEqual([...t.shown], [1, 2]);
  });

  it('says why it cannot index other files', () => {
    const reason = (spec: MoovSpec): string => {
      const reading = parseMoov(moov(spec));
      return 'unsupported' in reading ? reading.unsupported : 'indexed';
    };
    const base: MoovSpec = { sizes: [1], stsc: [[1, 1]], chunkOffsets: [0], deltas: 1 };
    assert.match(reason({ ...base, codec: 'mp4v' }), /codec mp4v/);
    assert.match(reason({ ...base, codec: 'hvc1' }), /no hvcC box/);
    assert.match(reason({ ...base, edits: [[10, 0], [10, 5]] }), /several ranges/);
    assert.match(reason({ ...base, stsc: [[1, 1]], chunkOffsets: [], sizes: [1, 2] }), /chunk table/);
    assert.equal(reason(base), 'indexed');
  });
});

/** A track in display order I B B P (decode I P B B), keyframes at decode 0 and 4, 0.04 s apart. */
function syntheticTrack(): Mp4VideoTrack {
  const times = Float64Array.from([0, 0.12, 0.04, 0.08, 0.16, 0.28, 0.2, 0.24]);
  const shown = Uint32Array.from([...times.keys()].sort((a, b) => times[a]! - times[b]!));
  return {
    codec: 'h264', decoderConfig: avcC, width: 320, height: 240, nalLengthSize: 4, sampleCount: 8,
    offsets: new Float64Array(8), sizes: new Uint32Array(8), times,
    keyframes: Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0]), shown,
  };
}

describe('frame choice', () => {
  const chooser = new FrameChooser(syntheticTrack());
  it('takes the first frame shown at or after the time, with half a millisecond of slack', () => {
    assert.equal(chooser.target(0.05, false), 3); // shown at 0.08
    assert.equal(chooser.target(0.0799, false), 3);
    assert.equal(chooser.target(0.1, false), 1); // shown at 0.12
    assert.equal(chooser.target(0.29, false), undefined);
  });
  it('in keyframe mode takes the last keyframe at or before the time', () => {
    assert.equal(chooser.target(0.1, true), 0);
    assert.equal(chooser.target(0.1599, true), 4);
    assert.equal(chooser.target(0.5, true), 4);
  });
  it('decodes from the last keyframe before the target that is not shown after it', () => {
    assert.equal(chooser.start(3), 0);
    assert.equal(chooser.start(6), 4);
  });
});

function nal(header: number, length = 3): Buffer {
  const unit = Buffer.alloc(4 + length);
  unit.writeUInt32BE(length);
  unit[4] = header;
  return unit;
}

describe('access units', () => {
  it('tells H.264 reference and IDR slices from the NAL headers, skipping SEI and parameter sets', () => {
    assert.deepEqual(accessUnitFacts(Buffer.concat([nal(0x06), nal(0x67), nal(0x65)]), 4, 'h264'), { reference: true, idr: true, temporalId: 0 });
    assert.deepEqual(accessUnitFacts(Buffer.concat([nal(0x41), nal(0x41)]), 4, 'h264'), { reference: true, idr: false, temporalId: 0 });
    assert.deepEqual(accessUnitFacts(nal(0x01), 4, 'h264'), { reference: false, idr: false, temporalId: 0 });
  });
  it('tells HEVC IDR, sub-layer non-reference pictures and temporal layers from the two-byte headers', () => {
    const hevc = (type: number, temporalId = 0): Buffer => {
      const unit = nal(type << 1, 4);
      unit[5] = temporalId + 1;
      return unit;
    };
    assert.deepEqual(accessUnitFacts(Buffer.concat([hevc(32), hevc(33), hevc(34), hevc(39), hevc(19)]), 4, 'hevc'), { reference: true, idr: true, temporalId: 0 });
    assert.deepEqual(accessUnitFacts(hevc(1), 4, 'hevc'), { reference: true, idr: false, temporalId: 0 }, 'TRAIL_R');
    assert.deepEqual(accessUnitFacts(hevc(0, 2), 4, 'hevc'), { reference: false, idr: false, temporalId: 2 }, 'TRAIL_N');
    assert.deepEqual(accessUnitFacts(hevc(21), 4, 'hevc'), { reference: true, idr: false, temporalId: 0 }, 'CRA is no IDR');
  });
  it('rejects samples whose length prefixes do not add up (zeroed or truncated data)', () => {
    assert.equal(accessUnitFacts(Buffer.alloc(64), 4, 'h264'), undefined);
    assert.equal(accessUnitFacts(nal(0x41).subarray(0, 6), 4, 'h264'), undefined);
    assert.equal(accessUnitFacts(nal(0x06), 4, 'h264'), undefined, 'no slice at all');
    assert.equal(accessUnitFacts(Buffer.alloc(64), 4, 'hevc'), undefined);
  });
});

/** Reads back FLV tags: [dts, pts, keyframe] per frame. */
function readTags(tags: Buffer): [number, number, boolean][] {
  const frames: [number, number, boolean][] = [];
  for (let offset = 0; offset < tags.length;) {
    const size = tags.readUIntBE(offset + 1, 3);
    const dts = tags.readUIntBE(offset + 4, 3) + tags[offset + 7]! * 2 ** 24;
    frames.push([dts, dts + tags.readIntBE(offset + 13, 3), tags[offset + 11]! >> 4 === 1]);
    offset += 11 + size + 4;
  }
  return frames;
}

describe('FLV feed', () => {
  it('keeps decode order, display order and marks only targets with odd timestamps, across segments', () => {
    const feed = createFeed({ codec: 'h264', decoderConfig: avcC, width: 320, height: 240 });
    assert.equal(feed.demuxer, 'flv');
    assert.equal(feed.header.subarray(0, 3).toString('latin1'), 'FLV');
    const frame = (time: number, keyframe = false) => ({ data: Buffer.from([time]), time, keyframe });
    // Decode order I P Bref B (display I B Bref P); the target is the last B. The last
    // segment walks one GOP for two targets.
    const segments: CodedSegment[] = [
      { frames: [frame(0, true), frame(4), frame(2), frame(1)], targets: [3] },
      { frames: [frame(10, true)], targets: [0] },
      { frames: [frame(20, true), frame(23), frame(21)], targets: [1] },
      { frames: [frame(30, true), frame(34), frame(32), frame(31), frame(33)], targets: [1, 3, 4] },
    ];
    let lastDts = -1;
    let lastPts = -1;
    for (const segment of segments) {
      const packed = feed.pack(segment);
      const tags = readTags(packed.bytes);
      assert.equal(tags.length, segment.frames.length);
      tags.forEach(([dts, pts, keyframe], i) => {
        assert.ok(dts > lastDts, 'decode times increase');
        assert.ok(pts >= dts, 'shown no earlier than decoded');
        assert.ok(pts > lastPts, 'a segment is shown after the one before');
        assert.equal(pts % 2 === 1, segment.targets.includes(i));
        assert.equal(keyframe, i === 0);
        lastDts = dts;
      });
      const byPts = tags.map(([, pts], i) => [pts, segment.frames[i]!.time] as const).sort((a, b) => a[0] - b[0]);
      assert.deepEqual(byPts.map(([, time]) => time), segment.frames.map((f) => f.time).sort((a, b) => a - b));
      assert.deepEqual(packed.targetPts, segment.targets.map((target) => tags[target]![1]));
      lastPts = Math.max(...tags.map(([, pts]) => pts));
    }
  });
});

describe('Matroska feed', () => {
  /** [cluster time, [block offsets]] for each cluster in `bytes` (8-byte sizes, as the writer makes them). */
  function readClusters(bytes: Buffer): [number, number[]][] {
    const clusters: [number, number[]][] = [];
    for (let offset = 0; offset < bytes.length;) {
      assert.equal(bytes.readUInt32BE(offset), 0x1f43b675, 'a cluster');
      const end = offset + 12 + Number(bytes.readBigUInt64BE(offset + 4) & 0xffffffffffffffn);
      let at = offset + 12;
      assert.equal(bytes[at], 0xe7, 'its timecode first');
      const time = Number(bytes.readBigUInt64BE(at + 9));
      at += 17;
      const offsets: number[] = [];
      while (at < end) {
        assert.equal(bytes[at], 0xa3, 'a SimpleBlock');
        const size = Number(bytes.readBigUInt64BE(at + 1) & 0xffffffffffffffn);
        offsets.push(bytes.readInt16BE(at + 10));
        at += 9 + size;
      }
      clusters.push([time, offsets]);
      offset = end;
    }
    return clusters;
  }

  it('starts a new cluster when a block would be more than 32.767 s from its cluster (a long GOP)', () => {
    const feed = createFeed({ codec: 'hevc', decoderConfig: Buffer.alloc(23), width: 320, height: 240 });
    assert.equal(feed.demuxer, 'matroska');
    const frames = Array.from({ length: 20_000 }, (_, i) => ({ data: Buffer.from([i & 0xff]), time: i, keyframe: i === 0 }));
    const packed = feed.pack({ frames, targets: [19_999] });
    const clusters = readClusters(packed.bytes);
    assert.ok(clusters.length >= 2, `${clusters.length} clusters`);
    const times = clusters.flatMap(([time, offsets]) => offsets.map((offset) => time + offset));
    assert.equal(times.length, 20_000);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    assert.deepEqual([times.at(-1)], packed.targetPts);
  });
});

describe('JPEG stream splitter', () => {
  const image = (seed: number): Buffer => {
    const data = Buffer.alloc(32 * 24 * 4);
    for (let i = 0; i < data.length; i += 1) data[i] = (i * seed * 7919) & 0xff;
    return jpeg.encode({ data, width: 32, height: 24 }, 90).data;
  };
  it('returns each image whole however the bytes are chunked', () => {
    const images = [image(1), image(2), image(3)];
    const stream = Buffer.concat(images);
    for (const chunk of [1, 7, 100, stream.length]) {
      const splitter = new JpegSplitter();
      const out: Buffer[] = [];
      for (let offset = 0; offset < stream.length; offset += chunk) out.push(...splitter.push(stream.subarray(offset, offset + chunk)));
      assert.deepEqual(out.map((b) => b.toString('hex')), images.map((b) => b.toString('hex')), `chunks of ${chunk}`);
      assert.equal(splitter.buffered, 0);
    }
  });
  it('refuses a stream that is not JPEG', () => {
    assert.throws(() => new JpegSplitter().push(Buffer.from('not a jpeg')), /not a JPEG/);
  });
});

/**
 * The MPEG-TS packet layer (resynchronising after damage), the bitstream's keyframe
 * classes, and ffmpeg's continuous timeline, on bytes built here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PACKET, SYNC, walkPackets, type TsDamage, type TsPacket } from '../../src/media/mpeg-ts/ts-packets.js';
import { accessUnitKind, NO_SLICE } from '../../src/media/mpeg-ts/ts-access-units.js';
import { ContinuousTimeline } from '../../src/media/mpeg-ts/ts-timeline.js';

/** A packet of `pid` with `fill` as payload (and the random-access flag in an adaptation field when asked). */
function packet(pid: number, fill: number, randomAccess = false): Buffer {
  const bytes = Buffer.alloc(PACKET, fill);
  bytes[0] = SYNC;
  bytes[1] = 0x40 | (pid >> 8);
  bytes[2] = pid & 0xff;
  bytes[3] = randomAccess ? 0x30 : 0x10;
  if (randomAccess) {
    bytes[4] = 1;
    bytes[5] = 0x40;
  }
  return bytes;
}

function walk(chunk: Buffer): { packets: TsPacket[]; damage: TsDamage[]; next: number } {
  const packets: TsPacket[] = [];
  const damage: TsDamage[] = [];
  const { next } = walkPackets(chunk, 1000, (p) => packets.push(p) > 0, (d) => damage.push(d));
  return { packets, damage, next };
}

const stream = (count: number): Buffer => Buffer.concat(Array.from({ length: count }, (_, i) => packet(0x100 + i, 0xaa, i === 2)));

describe('walkPackets', () => {
  it('reads every packet of an intact stream, with its PID and random-access flag', () => {
    const { packets, damage, next } = walk(stream(6));
    assert.deepEqual(packets.map((p) => p.pid), [0x100, 0x101, 0x102, 0x103, 0x104, 0x105]);
    assert.deepEqual(packets.map((p) => p.randomAccess), [false, false, true, false, false, false]);
    assert.equal(packets[2]!.payload, 2 * PACKET + 6);
    assert.deepEqual(damage, []);
    assert.equal(next, 6 * PACKET);
  });

  it('skips a packet whose sync byte is damaged, names where, and keeps every packet after it', () => {
    const bytes = stream(6);
    bytes[3 * PACKET] = 0x00;
    const { packets, damage } = walk(bytes);
    assert.deepEqual(packets.map((p) => p.pid), [0x100, 0x101, 0x102, 0x104, 0x105]);
    assert.deepEqual(damage, [{ offset: 1000 + 3 * PACKET, skipped: PACKET }]);
  });

  it('finds the cadence again after a packet cut short, not at a stray 0x47 inside a payload', () => {
    const cut = packet(0x200, 0x47).subarray(0, 100);
    const bytes = Buffer.concat([packet(0x100, 0), cut, packet(0x101, 0), packet(0x102, 0), packet(0x103, 0)]);
    const { packets, damage } = walk(bytes);
    // The cut packet's 0x47 payload bytes are not taken for packets: the walk goes on at 0x101.
    assert.deepEqual(packets.filter((p) => p.pid !== 0x200).map((p) => p.pid), [0x100, 0x101, 0x102, 0x103]);
    assert.ok(damage.length >= 1);
    assert.equal(packets.at(-1)!.at, PACKET + 100 + 2 * PACKET);
  });

  it('says where to read on when a chunk ends inside a packet', () => {
    const { packets, next } = walk(stream(3).subarray(0, 2 * PACKET + 50));
    assert.equal(packets.length, 2);
    assert.equal(next, 2 * PACKET);
  });

  it('never throws on random bytes, short chunks or a bad adaptation-field length', () => {
    let seed = 17;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) & 0xff;
    for (let round = 0; round < 200; round += 1) {
      const bytes = Buffer.from(Array.from({ length: 1 + (round * 37) % 2000 }, random));
      if (round % 3 === 0) bytes[0] = SYNC;
      const { packets, next } = walk(bytes);
      assert.ok(next <= bytes.length);
      for (const p of packets) assert.ok(p.payload <= p.end && p.end <= bytes.length);
    }
    const bad = packet(0x100, 0, true);
    bad[4] = 250; // adaptation field longer than the packet
    assert.equal(walk(bad).packets[0]!.payload, PACKET);
  });
});

const annexB = (...units: number[][]): Buffer => Buffer.concat(units.map((unit) => Buffer.from([0, 0, 0, 1, ...unit])));
/** A recovery-point SEI (payload type 6) with recovery_frame_cnt `count` (0 → '1', 5 → '00110'). */
const recoverySei = (count: 0 | 5): number[] => [0x06, 6, 1, count === 0 ? 0xc0 : 0x34, 0x80];
const AUD = [0x09, 0xf0];

describe('accessUnitKind', () => {
  it('H.264: an IDR is a keyframe, a P slice not', () => {
    assert.equal(accessUnitKind(annexB(AUD, [0x67, 1, 2, 3], [0x68, 1], [0x65, 0x88, 0x80]), 'h264'), 'key');
    assert.equal(accessUnitKind(annexB(AUD, [0x41, 0x9a, 0x00]), 'h264'), 'delta');
  });

  it('H.264: a recovery point is a keyframe only when it recovers at once, as ffmpeg\'s decoder flags it (intra refresh is not)', () => {
    assert.equal(accessUnitKind(annexB(AUD, recoverySei(0), [0x41, 0x88, 0x80]), 'h264'), 'key');
    assert.equal(accessUnitKind(annexB(AUD, recoverySei(5), [0x41, 0x9a, 0x00]), 'h264'), 'delta');
  });

  it('waits for the first slice, and settles without one when told the unit is whole', () => {
    const head = annexB(AUD, recoverySei(5));
    assert.equal(accessUnitKind(head.subarray(0, head.length - 2), 'h264'), undefined);
    assert.equal(accessUnitKind(head, 'h264', true), NO_SLICE);
  });

  it('HEVC: IDR, CRA and BLA are keyframes; trailing pictures are not', () => {
    const hevc = (type: number): Buffer => annexB([35 << 1, 1, 0x50], [type << 1, 1, 0xaf]);
    for (const type of [19, 20, 21, 16]) assert.equal(accessUnitKind(hevc(type), 'hevc'), 'key', `type ${type}`);
    for (const type of [0, 1, 8, 9]) assert.equal(accessUnitKind(hevc(type), 'hevc'), 'delta', `type ${type}`);
  });
});

describe('ContinuousTimeline', () => {
  const place = (dts: readonly number[]): number[] => {
    const timeline = new ContinuousTimeline();
    return dts.map((time) => Math.round(timeline.place(time, time).dts * 1000) / 1000);
  };

  it('closes a jump back (two files joined) to one frame after the last, as ffmpeg does', () => {
    assert.deepEqual(place([30.0, 30.04, 30.08, 5.0, 5.04]), [30.0, 30.04, 30.08, 30.12, 30.16]);
  });

  it('closes a jump ahead of more than 10 s and keeps smaller gaps', () => {
    assert.deepEqual(place([1, 1.5, 2, 40, 40.5]), [1, 1.5, 2, 2.5, 3]);
    assert.deepEqual(place([1, 1.5, 2, 9, 9.5]), [1, 1.5, 2, 9, 9.5]);
  });
});

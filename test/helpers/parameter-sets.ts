/**
 * H.264 and HEVC parameter sets written bit by bit, with the avcC/hvcC records around
 * them, for tests of parsers on what no encoder here writes (scaling lists, POC type 1,
 * HEVC sub-layer profiles, SPSs without a VUI).
 */
/** Writes an SPS bit by bit: u(n), ue(v), se(v); `rbsp()` adds the stop bit and pads. */
export class BitWriter {
  private readonly out: number[] = [];

  u(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i -= 1) this.out.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  ue(value: number): this {
    const code = value + 1;
    const length = Math.floor(Math.log2(code));
    return this.u(length, 0).u(length + 1, code);
  }

  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  get length(): number {
    return this.out.length;
  }

  rbsp(): Buffer {
    const bits = [...this.out, 1];
    while (bits.length % 8 !== 0) bits.push(0);
    return Buffer.from(Array.from({ length: bits.length / 8 }, (_, i) => bits.slice(8 * i, 8 * i + 8).reduce((byte, bit) => byte * 2 + bit, 0)));
  }
}

/** Emulation prevention: 03 after two zero bytes before a byte ≤ 3. */
export function escape(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 3) { out.push(3); zeros = 0; }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

/** An avcC around one SPS NAL unit (header byte included) and a stand-in PPS. */
export function avcC(sps: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(sps.length);
  return Buffer.concat([Buffer.from([1, sps[1] ?? 0, sps[2] ?? 0, sps[3] ?? 0, 0xff, 0xe1]), length, sps, Buffer.from([1, 0, 2, 0x68, 0xce])]);
}

const HIGH_PROFILES = [100, 110, 122, 244, 44];

export interface SpsSpec {
  readonly profile: number;
  readonly constraintSet3?: boolean;
  /** For the high profiles: 4:4:4 with all 12 scaling lists (else 4:2:0 without). */
  readonly scalingLists?: boolean;
  readonly pocType1?: boolean;
  /** max_num_reorder_frames in a VUI with every optional part, or no VUI. */
  readonly reorder?: number;
}

/** An H.264 SPS NAL unit, unescaped (rbsp) and escaped (nal); `needed` is how many RBSP bytes hold the last field read. */
export function h264Sps(spec: SpsSpec): { rbsp: Buffer; nal: Buffer; needed: number } {
  const w = new BitWriter().u(8, 0x67).u(8, spec.profile).u(8, spec.constraintSet3 ? 0x10 : 0).u(8, 30).ue(0);
  if (HIGH_PROFILES.includes(spec.profile)) w.ue(spec.scalingLists ? 3 : 1).u(spec.scalingLists ? 1 : 0, 0).ue(2).ue(2).u(1, 0).u(1, spec.scalingLists ? 1 : 0);
  if (spec.scalingLists) {
    // Lists 0-5 of 16 and 6-11 of 64; a delta that brings nextScale to 0 ends a list's deltas early.
    for (let i = 0; i < 12; i += 1) {
      w.u(1, i % 3 === 2 ? 0 : 1);
      if (i % 3 === 2) continue;
      const size = i < 6 ? 16 : 64;
      if (i % 3 === 1) { w.se(-8); continue; } // nextScale 0: use the default list
      for (let j = 0; j < size; j += 1) w.se(j % 2 === 0 ? 5 : -3);
    }
  }
  w.ue(0); // log2_max_frame_num_minus4
  if (spec.pocType1) w.ue(1).u(1, 0).se(-2).se(1).ue(3).se(4).se(-4).se(2);
  else w.ue(0).ue(2);
  w.ue(4).u(1, 0).ue(3).ue(2).u(1, 0).u(1, 1).u(1, 1).u(1, 1).ue(0).ue(2).ue(0).ue(3); // refs, size, fields + MBAFF, cropping
  if (spec.reorder === undefined) {
    w.u(1, 0);
  } else {
    w.u(1, 1).u(1, 1).u(8, 255).u(16, 0).u(16, 0); // extended SAR of zeros: the RBSP needs emulation prevention
    w.u(1, 1).u(1, 0).u(1, 1).u(3, 5).u(1, 0).u(1, 1).u(24, 0x010101).u(1, 1).ue(1).ue(1).u(1, 1).u(32, 1).u(32, 50).u(1, 1);
    for (const _hrd of [0, 1]) {
      w.u(1, 1).ue(1).u(4, 0).u(4, 0);
      for (let i = 0; i < 2; i += 1) w.ue(1000).ue(2000).u(1, i);
      w.u(5, 23).u(5, 23).u(5, 23).u(5, 24);
    }
    w.u(1, 0).u(1, 1).u(1, 1).u(1, 1).ue(2).ue(1).ue(16).ue(16).ue(spec.reorder).ue(spec.reorder + 1);
  }
  const rbsp = w.rbsp();
  return { rbsp, nal: escape(rbsp), needed: Math.ceil(w.length / 8) };
}

/** An hvcC around one SPS NAL unit. */
export function hvcC(sps: Buffer): Buffer {
  const head = Buffer.alloc(23);
  head[0] = 1;
  head[21] = 0x0f;
  head[22] = 1;
  const array = Buffer.from([0x80 | 33, 0, 1, sps.length >> 8, sps.length & 0xff]);
  return Buffer.concat([head, array, sps]);
}

/** An HEVC SPS NAL unit (`complete`: else cut after its sub-layer ordering info, the last field read), with sub-layer profile and level parts and a conformance window. */
export function hevcSps(reorders: readonly number[], everySubLayer: boolean, complete = true): Buffer {
  const subLayers = reorders.length;
  const profile = (w: BitWriter): BitWriter => w.u(2, 0).u(1, 0).u(5, 1).u(32, 0x60000000).u(4, 9).u(43, 0).u(1, 0);
  const w = new BitWriter().u(16, 0x4201).u(4, 0).u(3, subLayers - 1).u(1, subLayers === 1 ? 1 : 0);
  profile(w).u(8, 93);
  for (let i = 0; i < subLayers - 1; i += 1) w.u(1, i % 2 === 0 ? 1 : 0).u(1, i >= 1 ? 1 : 0);
  if (subLayers > 1) w.u(2 * (9 - subLayers), 0);
  for (let i = 0; i < subLayers - 1; i += 1) {
    if (i % 2 === 0) profile(w);
    if (i >= 1) w.u(8, 90);
  }
  w.ue(0).ue(1).ue(72).ue(40).u(1, 1).ue(0).ue(4).ue(0).ue(4).ue(0).ue(0).ue(4).u(1, everySubLayer ? 1 : 0);
  for (const reorder of everySubLayer ? reorders : reorders.slice(-1)) w.ue(reorder + 1).ue(reorder).ue(0);
  // The rest, for ffmpeg: 8- to 64-pixel CTBs, 4- to 32-pixel transforms, no scaling lists, PCM, RPS sets, VUI or extensions.
  if (complete) w.ue(0).ue(3).ue(0).ue(3).ue(1).ue(1).u(4, 0b0110).ue(0).u(1, 0).u(2, 0b11).u(1, 0).u(1, 0);
  return escape(w.rbsp());
}

/** The VPS ffmpeg wants before it reads an SPS: as many sub-layers, no sub-layer profiles. */
export function hevcVps(subLayers: number): Buffer {
  const w = new BitWriter().u(16, 0x4001).u(4, 0).u(2, 0b11).u(6, 0).u(3, subLayers - 1).u(1, subLayers === 1 ? 1 : 0).u(16, 0xffff);
  w.u(2, 0).u(1, 0).u(5, 1).u(32, 0x60000000).u(4, 9).u(43, 0).u(1, 0).u(8, 93);
  for (let i = 0; i < subLayers - 1; i += 1) w.u(2, 0);
  if (subLayers > 1) w.u(2 * (9 - subLayers), 0);
  w.u(1, 0).ue(8).ue(7).ue(0).u(6, 0).ue(0).u(1, 0).u(1, 0);
  return escape(w.rbsp());
}

/**
 * MPEG-TS carries H.264 and HEVC as Annex B (NAL units after start codes, parameter sets
 * in band). The feeds take MP4-style samples: each NAL unit behind a 4-byte length, and an
 * avcC (hvcC) record built from the stream's SPS and PPS (and VPS).
 */

/** The NAL units of one Annex B access unit (start codes and trailing zero bytes removed). */
export function annexBUnits(data: Uint8Array): Buffer[] {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const units: Buffer[] = [];
  let start = -1;
  let at = 0;
  while (at + 2 < bytes.length) {
    if (bytes[at] === 0 && bytes[at + 1] === 0 && bytes[at + 2] === 1) {
      if (start >= 0) units.push(trimZeros(bytes.subarray(start, at)));
      at += 3;
      start = at;
    } else {
      at += 1;
    }
  }
  if (start >= 0) units.push(trimZeros(bytes.subarray(start)));
  return units.filter((unit) => unit.length > 0);
}

function trimZeros(unit: Buffer): Buffer {
  let end = unit.length;
  while (end > 0 && unit[end - 1] === 0) end -= 1;
  return unit.subarray(0, end);
}

/** The access unit as 4-byte length-prefixed NAL units. */
export function lengthPrefixed(units: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const unit of units) {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(unit.length);
    parts.push(length, unit);
  }
  return Buffer.concat(parts);
}

const H264_SPS = 7;
const H264_PPS = 8;

/** An avcC record (4-byte lengths) from the first SPS and PPS among `units`; undefined when either is missing. */
export function avcConfigFrom(units: readonly Buffer[]): Buffer | undefined {
  const sps = units.find((unit) => (unit[0]! & 0x1f) === H264_SPS && unit.length >= 4);
  const pps = units.find((unit) => (unit[0]! & 0x1f) === H264_PPS);
  if (sps === undefined || pps === undefined) return undefined;
  const head = Buffer.from([1, sps[1]!, sps[2]!, sps[3]!, 0xfc | 3, 0xe0 | 1]);
  const spsLength = Buffer.alloc(2);
  spsLength.writeUInt16BE(sps.length);
  const ppsLength = Buffer.alloc(2);
  ppsLength.writeUInt16BE(pps.length);
  return Buffer.concat([head, spsLength, sps, Buffer.from([1]), ppsLength, pps]);
}

const HEVC_VPS = 32;
const HEVC_SPS = 33;
const HEVC_PPS = 34;
const hevcType = (unit: Buffer): number => (unit[0]! >> 1) & 0x3f;

/**
 * An hvcC record (4-byte lengths) from the first VPS, SPS and PPS among `units`; undefined
 * when one is missing. The profile, tier and level are the SPS's own (its general
 * profile_tier_level, after emulation-prevention bytes are removed); chroma format and bit
 * depth say 4:2:0 8-bit, which decoders take from the parameter sets themselves.
 */
export function hvcConfigFrom(units: readonly Buffer[]): Buffer | undefined {
  const vps = units.find((unit) => hevcType(unit) === HEVC_VPS);
  const sps = units.find((unit) => hevcType(unit) === HEVC_SPS);
  const pps = units.find((unit) => hevcType(unit) === HEVC_PPS);
  if (vps === undefined || sps === undefined || pps === undefined) return undefined;
  const rbsp = unescapeRbsp(sps.subarray(2, 40));
  if (rbsp.length < 13) return undefined;
  const subLayers = ((rbsp[0]! >> 1) & 7) + 1;
  const nested = rbsp[0]! & 1;
  const head = Buffer.alloc(23);
  head[0] = 1;
  rbsp.copy(head, 1, 1, 13); // profile space, tier, profile; compatibility flags; constraint flags; level
  head.writeUInt16BE(0xf000, 13); // no min_spatial_segmentation
  head[15] = 0xfc; // parallelism unknown
  head[16] = 0xfc | 1; // 4:2:0
  head[17] = 0xf8; // 8-bit luma
  head[18] = 0xf8; // 8-bit chroma
  head.writeUInt16BE(0, 19); // average frame rate unknown
  head[21] = ((subLayers & 7) << 3) | (nested << 2) | 3; // lengthSizeMinusOne = 3
  head[22] = 3;
  const array = (type: number, unit: Buffer): Buffer => {
    const header = Buffer.alloc(5);
    header[0] = 0x80 | type; // complete: every parameter set is here
    header.writeUInt16BE(1, 1);
    header.writeUInt16BE(unit.length, 3);
    return Buffer.concat([header, unit]);
  };
  return Buffer.concat([head, array(HEVC_VPS, vps), array(HEVC_SPS, sps), array(HEVC_PPS, pps)]);
}

/** NAL unit payload with emulation-prevention bytes (00 00 03) removed. */
export function unescapeRbsp(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  let length = 0;
  let zeros = 0;
  for (const byte of bytes) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

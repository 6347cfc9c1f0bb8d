/**
 * MPEG-TS carries H.264 as Annex B (NAL units after start codes, parameter sets in
 * band). The feeds take MP4-style samples: each NAL unit behind a 4-byte length, and an
 * avcC record built from the stream's SPS and PPS.
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

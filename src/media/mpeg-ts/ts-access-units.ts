/**
 * Which access units are keyframes, read from the bitstream as ffmpeg's decoder flags the
 * pictures (showinfo's iskey; the muxer's random_access_indicator is optional and some
 * muxers never set it): H.264 IDR pictures and pictures with a recovery-point SEI that
 * recovers at once (recovery_frame_cnt 0: x264's open-GOP I-frames); HEVC IRAP pictures
 * (IDR, CRA, BLA). Not a recovery point that needs frames to recover (x264's intra
 * refresh): ffmpeg's parser flags its packet key, the decoder does not flag its picture,
 * and decoding from it does not give a full decode's picture (measured with 4.1). So a
 * keyframe is also where decoding can start and give the picture a full decode gives.
 */
import { isSlice, isSps, nalType, type VideoCodec } from '../codec/nal-units.js';
import { unescapeRbsp } from '../codec/annex-b.js';
import { BitReader } from '../codec/bit-reader.js';

/** Whether ffmpeg's decoder flags the picture key. */
export type AccessUnitKind = 'key' | 'delta';

/** No slice in the access unit: the bitstream does not say what it is. */
export const NO_SLICE = 'no slice';
const H264_NON_IDR = 1;
const H264_PARTITION_A = 2;
const H264_IDR = 5;
const H264_SEI = 6;
const SEI_RECOVERY_POINT = 6;
const HEVC_FIRST_IRAP = 16;
const HEVC_LAST_IRAP = 23;
const HEVC_FIRST_NON_VCL = 32;

/**
 * The kind of the access unit whose Annex B data starts `data`; undefined while its first
 * slice has not arrived (call again with more data, or with `whole` when there is no more:
 * then NO_SLICE when it has none, a damaged or foreign frame).
 */
export function accessUnitKind(data: Buffer, codec: VideoCodec, whole = false): AccessUnitKind | typeof NO_SLICE | undefined {
  let recovery: number | undefined;
  for (let start = nextUnit(data, 0); start >= 0;) {
    const following = nextStartCode(data, start);
    const end = following < 0 ? data.length : following;
    const complete = following >= 0 || whole;
    const header = data[start];
    if (header === undefined) break;
    if (codec === 'hevc') {
      const type = (header >> 1) & 0x3f;
      if (type < HEVC_FIRST_NON_VCL) return type >= HEVC_FIRST_IRAP && type <= HEVC_LAST_IRAP ? 'key' : 'delta';
    } else {
      const type = header & 0x1f;
      if (type === H264_IDR) return 'key';
      if (type === H264_NON_IDR || type === H264_PARTITION_A) return recovery === 0 ? 'key' : 'delta';
      if (type === H264_SEI) {
        if (!complete) return undefined;
        recovery = recoveryFrames(data.subarray(start + 1, end)) ?? recovery;
      }
    }
    if (following < 0) break;
    start = nextUnit(data, following);
  }
  return whole ? NO_SLICE : undefined;
}

/**
 * The SPS NAL unit (header included, still escaped) this access unit carries before its
 * first slice, if any: a stream that repeats its parameter sets at each keyframe (a
 * broadcast's, or ffmpeg's stream copy into TS) says there what the pictures that follow
 * use, whatever came before (a splice of two encodes).
 */
export function parameterSetSps(data: Buffer, codec: VideoCodec): Buffer | undefined {
  for (let start = nextUnit(data, 0); start >= 0;) {
    const following = nextStartCode(data, start);
    const header = data[start];
    if (header === undefined) return undefined;
    const type = nalType(codec, header);
    if (isSlice(codec, type)) return undefined;
    // Complete only when another unit follows it.
    if (isSps(codec, type)) return following < 0 ? undefined : data.subarray(start, following);
    if (following < 0) return undefined;
    start = nextUnit(data, following);
  }
  return undefined;
}

/** The first NAL unit's first byte at or after `from` (after a start code), or -1. */
function nextUnit(data: Buffer, from: number): number {
  const code = nextStartCode(data, from);
  return code < 0 ? -1 : code + 3;
}

/** Where the next 00 00 01 at or after `from` starts, or -1. */
function nextStartCode(data: Buffer, from: number): number {
  for (let at = data.indexOf(1, from + 2); at >= 0; at = data.indexOf(1, at + 1)) {
    if (data[at - 1] === 0 && data[at - 2] === 0 && at - 2 >= from) return at - 2;
  }
  return -1;
}

/** recovery_frame_cnt of a recovery-point message in this SEI payload (after the NAL header), if any. */
function recoveryFrames(escaped: Buffer): number | undefined {
  const sei = unescapeRbsp(escaped);
  let at = 0;
  while (at < sei.length && sei[at] !== 0x80) {
    let type = 0;
    while (sei[at] === 0xff) { type += 255; at += 1; }
    type += sei[at++] ?? 0;
    let size = 0;
    while (sei[at] === 0xff) { size += 255; at += 1; }
    size += sei[at++] ?? 0;
    if (type === SEI_RECOVERY_POINT) return recoveryFrameCount(sei.subarray(at, at + size));
    at += size;
  }
  return undefined;
}

/** recovery_frame_cnt, the message's first field; undefined when the bytes end first (damage). */
function recoveryFrameCount(message: Buffer): number | undefined {
  try {
    return new BitReader(message).ue();
  } catch {
    return undefined;
  }
}

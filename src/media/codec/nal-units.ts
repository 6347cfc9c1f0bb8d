/** What framescore needs to know about one coded picture stored MP4-style (length-prefixed NAL units). */

export type VideoCodec = 'h264' | 'hevc';

export interface AccessUnitFacts {
  /** Later pictures may predict from it (H.264 nal_ref_idc > 0; HEVC not a sub-layer non-reference picture). */
  readonly reference: boolean;
  /** An IDR picture: decoding can start here with nothing before it. */
  readonly idr: boolean;
  /** HEVC temporal sub-layer (0 for H.264). */
  readonly temporalId: number;
}

const H264_SLICE = 1;
const H264_IDR_SLICE = 5;
const HEVC_FIRST_NON_VCL = 32;
const HEVC_IDR_W_RADL = 19;
const HEVC_IDR_N_LP = 20;
/** Sub-layer non-reference picture types are the even ones below 16 (TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N, reserved). */
const HEVC_LAST_SUB_LAYER_TYPE = 14;
/** H.264 slice types: non-IDR, data partitions A–C, IDR. */
const H264_LAST_SLICE = 5;
const H264_SPS = 7;
const HEVC_SPS = 33;

/** A NAL unit's type, from its header's first byte. */
export const nalType = (codec: VideoCodec, header: number): number => (codec === 'h264' ? header & 0x1f : (header >> 1) & 0x3f);
/** Whether a NAL unit of this type carries a slice of a picture (VCL). */
export const isSlice = (codec: VideoCodec, type: number): boolean => (codec === 'h264' ? type >= H264_SLICE && type <= H264_LAST_SLICE : type < HEVC_FIRST_NON_VCL);
/** Whether a NAL unit of this type is a sequence parameter set. */
export const isSps = (codec: VideoCodec, type: number): boolean => type === (codec === 'h264' ? H264_SPS : HEVC_SPS);

/**
 * The SPS NAL unit a length-prefixed sample carries in band before its first slice, if the
 * bytes given (a sample's start) hold it whole: a stream remuxed from a broadcast's repeats
 * its parameter sets at each keyframe, and a splice of two encodes changes them there.
 */
export function inBandSps(sample: Buffer, nalLengthSize: number, codec: VideoCodec): Buffer | undefined {
  for (let offset = 0; offset + nalLengthSize < sample.length;) {
    const length = sample.readUIntBE(offset, nalLengthSize);
    const at = offset + nalLengthSize;
    offset = at + length;
    if (length === 0 || offset > sample.length) return undefined;
    const type = nalType(codec, sample[at]!);
    if (isSlice(codec, type)) return undefined;
    if (isSps(codec, type)) return sample.subarray(at, offset);
  }
  return undefined;
}

/** Reads the NAL headers of one sample; undefined when the length prefixes do not add up or there is no slice. */
export function accessUnitFacts(sample: Buffer, nalLengthSize: number, codec: VideoCodec): AccessUnitFacts | undefined {
  let offset = 0;
  let reference = false;
  let idr = false;
  let slices = 0;
  let temporalId = 0;
  while (offset + nalLengthSize < sample.length) {
    const length = sample.readUIntBE(offset, nalLengthSize);
    const at = offset + nalLengthSize;
    offset = at + length;
    if (length === 0 || offset > sample.length) return undefined;
    if (codec === 'h264') {
      const type = sample[at]! & 0x1f;
      if (type !== H264_SLICE && type !== H264_IDR_SLICE) continue;
      slices += 1;
      if (sample[at]! & 0x60) reference = true;
      if (type === H264_IDR_SLICE) idr = true;
    } else {
      if (length < 2) return undefined;
      const type = (sample[at]! >> 1) & 0x3f;
      if (type >= HEVC_FIRST_NON_VCL) continue;
      slices += 1;
      temporalId = Math.max(temporalId, (sample[at + 1]! & 7) - 1);
      if (type > HEVC_LAST_SUB_LAYER_TYPE || type % 2 === 1) reference = true;
      if (type === HEVC_IDR_W_RADL || type === HEVC_IDR_N_LP) idr = true;
    }
  }
  return slices > 0 && offset === sample.length ? { reference, idr, temporalId } : undefined;
}

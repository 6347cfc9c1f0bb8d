/**
 * How deep a stream reorders frames (B-frames: a frame decoded before others it is shown
 * after), read from its decoder configuration as ffmpeg reads it into has_b_frames: H.264's
 * max_num_reorder_frames (the SPS's VUI bitstream restriction) and HEVC's
 * sps_max_num_reorder_pics of the highest sub-layer. An index reader needs it to know how
 * many frames past a target a decoder holds back before it outputs the target.
 */
import { unescapeRbsp } from './annex-b.js';
import { BitReader } from './bit-reader.js';
import { isSps, nalType } from './nal-units.js';

/** The most a conforming H.264 or HEVC stream can reorder (a DPB holds at most 16 frames); the answer when the config does not say. */
export const MAX_REORDER_FRAMES = 16;

/** Codecs whose container timestamps come in decode order = output order (VP8/VP9 hide altref frames in superframes; AV1 in temporal units): ffprobe says has_b_frames 0. */
const NO_REORDERING = new Set(['vp8', 'vp9', 'av1']);

/** The most frames that precede any frame in decode order and follow it in output order, from the stream's decoder config; MAX_REORDER_FRAMES (16) when the config does not say. Never throws. */
export function reorderDepth(codec: string, decoderConfig: Uint8Array): number {
  if (NO_REORDERING.has(codec)) return 0;
  if (codec !== 'h264' && codec !== 'hevc') return MAX_REORDER_FRAMES;
  let sps: Uint8Array | undefined;
  try {
    sps = firstSps(codec, decoderConfig);
  } catch {
    return MAX_REORDER_FRAMES;
  }
  return sps === undefined ? MAX_REORDER_FRAMES : spsReorderDepth(codec, sps);
}

/** The same from one SPS NAL unit (with its NAL header, still escaped), as an Annex B stream carries it in band. Never throws. */
export function spsReorderDepth(codec: 'h264' | 'hevc', sps: Uint8Array): number {
  try {
    const rbsp = unescapeRbsp(Buffer.from(sps.buffer, sps.byteOffset, sps.byteLength));
    const depth = codec === 'h264' ? h264ReorderFrames(rbsp) : hevcReorderPics(rbsp);
    return Math.min(Math.max(depth, 0), MAX_REORDER_FRAMES);
  } catch {
    return MAX_REORDER_FRAMES;
  }
}

/** avcC: version, profile, compatibility, level, lengthSizeMinusOne, then the SPS count. */
const AVCC_SPS_COUNT_AT = 5;
/** hvcC: 22 bytes of profile, format and timing fields, then the number of NAL unit arrays. */
const HVCC_ARRAYS_AT = 22;

/** The first SPS NAL unit (with its NAL header, still escaped) in an avcC or hvcC record; undefined when there is none or the record is cut short. */
export function firstSps(codec: 'h264' | 'hevc', record: Uint8Array): Uint8Array | undefined {
  const u16 = (at: number): number | undefined => {
    const high = record[at];
    const low = record[at + 1];
    return high === undefined || low === undefined ? undefined : high * 256 + low;
  };
  const unit = (at: number): Uint8Array | undefined => {
    const length = u16(at);
    return length === undefined || at + 2 + length > record.length ? undefined : record.subarray(at + 2, at + 2 + length);
  };
  if (record[0] !== 1) return undefined;
  if (codec === 'h264') {
    const count = (record[AVCC_SPS_COUNT_AT] ?? 0) & 0x1f;
    const sps = count > 0 ? unit(AVCC_SPS_COUNT_AT + 1) : undefined;
    return sps !== undefined && isSps(codec, nalType(codec, sps[0] ?? 0)) ? sps : undefined;
  }
  const arrays = record[HVCC_ARRAYS_AT] ?? 0;
  let at = HVCC_ARRAYS_AT + 1;
  for (let array = 0; array < arrays; array += 1) {
    const type = (record[at] ?? 0) & 0x3f;
    const count = u16(at + 1);
    if (count === undefined) return undefined;
    at += 3;
    for (let i = 0; i < count; i += 1) {
      const nal = unit(at);
      if (nal === undefined) return undefined;
      if (isSps(codec, type) && isSps(codec, nalType(codec, nal[0] ?? 0))) return nal;
      at += 2 + nal.length;
    }
  }
  return undefined;
}

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices. */
const H264_HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
/** With constraint_set3_flag these are their intra-only variants (and CAVLC 4:4:4 is always intra). */
const H264_INTRA_CAPABLE = new Set([100, 110, 122, 244, 44]);
const H264_BASELINE = 66;
const H264_CAVLC_444 = 44;
const EXTENDED_SAR = 255;

/** max_num_reorder_frames of an H.264 SPS (RBSP, NAL header first); when the VUI does not say, 0 for profiles that cannot reorder. */
function h264ReorderFrames(rbsp: Uint8Array): number {
  const bits = new BitReader(rbsp);
  if (!isSps('h264', nalType('h264', bits.bits(8)))) throw new RangeError('not an SPS');
  const profile = bits.bits(8);
  const constraintSet3 = (bits.bits(8) & 0x10) !== 0;
  bits.skip(8); // level_idc
  bits.ue(); // seq_parameter_set_id
  if (H264_HIGH_PROFILES.has(profile)) {
    const chromaFormat = bits.ue();
    if (chromaFormat === 3) bits.skip(1); // separate_colour_plane_flag
    bits.ue(); // bit_depth_luma_minus8
    bits.ue(); // bit_depth_chroma_minus8
    bits.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (bits.flag()) {
      const lists = chromaFormat === 3 ? 12 : 8;
      for (let i = 0; i < lists; i += 1) if (bits.flag()) skipScalingList(bits, i < 6 ? 16 : 64);
    }
  }
  bits.ue(); // log2_max_frame_num_minus4
  const pocType = bits.ue();
  if (pocType === 0) {
    bits.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    bits.skip(1); // delta_pic_order_always_zero_flag
    bits.se(); // offset_for_non_ref_pic
    bits.se(); // offset_for_top_to_bottom_field
    const cycle = bits.ue();
    for (let i = 0; i < cycle; i += 1) bits.se(); // offset_for_ref_frame
  }
  bits.ue(); // max_num_ref_frames
  bits.skip(1); // gaps_in_frame_num_value_allowed_flag
  bits.ue(); // pic_width_in_mbs_minus1
  bits.ue(); // pic_height_in_map_units_minus1
  if (!bits.flag()) bits.skip(1); // frame_mbs_only_flag, else mb_adaptive_frame_field_flag
  bits.skip(1); // direct_8x8_inference_flag
  if (bits.flag()) for (let i = 0; i < 4; i += 1) bits.ue(); // frame_crop_*_offset
  const restricted = bits.flag() ? vuiReorderFrames(bits) : undefined;
  if (restricted !== undefined) return restricted;
  const intraOnly = profile === H264_CAVLC_444 || (constraintSet3 && H264_INTRA_CAPABLE.has(profile));
  return profile === H264_BASELINE || intraOnly ? 0 : MAX_REORDER_FRAMES;
}

/** Reads a scaling_list (7.3.2.1.1.1) only to pass it. */
function skipScalingList(bits: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j += 1) {
    if (next !== 0) next = (last + bits.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** max_num_reorder_frames from vui_parameters (E.1.1), undefined without a bitstream restriction. */
function vuiReorderFrames(bits: BitReader): number | undefined {
  if (bits.flag() && bits.bits(8) === EXTENDED_SAR) bits.skip(32); // aspect_ratio_idc, sar_width, sar_height
  if (bits.flag()) bits.skip(1); // overscan_appropriate_flag
  if (bits.flag()) {
    bits.skip(4); // video_format, video_full_range_flag
    if (bits.flag()) bits.skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (bits.flag()) { bits.ue(); bits.ue(); } // chroma_sample_loc_type top and bottom field
  if (bits.flag()) bits.skip(65); // num_units_in_tick, time_scale, fixed_frame_rate_flag
  const nalHrd = bits.flag();
  if (nalHrd) skipHrd(bits);
  const vclHrd = bits.flag();
  if (vclHrd) skipHrd(bits);
  if (nalHrd || vclHrd) bits.skip(1); // low_delay_hrd_flag
  bits.skip(1); // pic_struct_present_flag
  if (!bits.flag()) return undefined;
  bits.skip(1); // motion_vectors_over_pic_boundaries_flag
  for (let i = 0; i < 4; i += 1) bits.ue(); // max_bytes_per_pic_denom, max_bits_per_mb_denom, log2_max_mv_length_horizontal, _vertical
  const reorder = bits.ue();
  bits.ue(); // max_dec_frame_buffering: read so a record cut inside the restriction is damage
  return reorder;
}

/** Reads hrd_parameters (E.1.2) only to pass them. */
function skipHrd(bits: BitReader): void {
  const cpbCount = bits.ue() + 1;
  bits.skip(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCount; i += 1) {
    bits.ue(); // bit_rate_value_minus1
    bits.ue(); // cpb_size_value_minus1
    bits.skip(1); // cbr_flag
  }
  bits.skip(20); // initial_cpb_removal_delay_length_minus1, cpb_removal_delay_length_minus1, dpb_output_delay_length_minus1, time_offset_length
}

/** Bits of a profile_tier_level's general or sub-layer profile part (profile space to the last constraint flag). */
const HEVC_PROFILE_BITS = 88;
const HEVC_LEVEL_BITS = 8;
const HEVC_MAX_SUB_LAYERS = 8;

/** sps_max_num_reorder_pics of the highest sub-layer of an HEVC SPS (RBSP, NAL header first). */
function hevcReorderPics(rbsp: Uint8Array): number {
  const bits = new BitReader(rbsp);
  const header = bits.bits(16);
  // forbidden_zero_bit, then the type.
  if (header >> 15 !== 0 || !isSps('hevc', nalType('hevc', header >> 8))) throw new RangeError('not an SPS');
  bits.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = bits.bits(3);
  bits.skip(1); // sps_temporal_id_nesting_flag
  bits.skip(HEVC_PROFILE_BITS + HEVC_LEVEL_BITS);
  const present: { profile: boolean; level: boolean }[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i += 1) present.push({ profile: bits.flag(), level: bits.flag() });
  if (maxSubLayersMinus1 > 0) bits.skip(2 * (HEVC_MAX_SUB_LAYERS - maxSubLayersMinus1)); // reserved_zero_2bits
  for (const { profile, level } of present) bits.skip((profile ? HEVC_PROFILE_BITS : 0) + (level ? HEVC_LEVEL_BITS : 0));
  bits.ue(); // sps_seq_parameter_set_id
  if (bits.ue() === 3) bits.skip(1); // chroma_format_idc, separate_colour_plane_flag
  bits.ue(); // pic_width_in_luma_samples
  bits.ue(); // pic_height_in_luma_samples
  if (bits.flag()) for (let i = 0; i < 4; i += 1) bits.ue(); // conf_win_*_offset
  bits.ue(); // bit_depth_luma_minus8
  bits.ue(); // bit_depth_chroma_minus8
  bits.ue(); // log2_max_pic_order_cnt_lsb_minus4
  const everySubLayer = bits.flag();
  let reorder = MAX_REORDER_FRAMES;
  for (let i = everySubLayer ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i += 1) {
    bits.ue(); // sps_max_dec_pic_buffering_minus1
    reorder = bits.ue();
    bits.ue(); // sps_max_latency_increase_plus1
  }
  return reorder;
}

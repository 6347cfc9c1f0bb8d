/**
 * A minimal FLV writer for H.264: the container ffmpeg reads from a pipe that carries
 * both decode and presentation timestamps per frame and takes MP4's length-prefixed
 * NAL units unchanged. framescore feeds ffmpeg the frames a sample needs this way
 * and names each frame by its timestamp, so a frame the decoder drops cannot shift
 * the pairing of outputs to requests.
 */

const TAG_HEADER_BYTES = 11;
const VIDEO_TAG = 9;
const CODEC_AVC = 7;

/** The file header for a video-only FLV stream, with PreviousTagSize0. */
export function flvHeader(): Buffer {
  const header = Buffer.alloc(13);
  header.write('FLV', 0, 'latin1');
  header[3] = 1; // version
  header[4] = 0x01; // has video
  header.writeUInt32BE(9, 5);
  return header;
}

/** The AVC sequence header tag: the avcC record, sent once before any frame. */
export function flvSequenceHeader(decoderConfig: Buffer): Buffer {
  return videoTag(0, 0, true, 0, decoderConfig);
}

/** One frame (an MP4 sample's length-prefixed NAL units) at `dtsMs`, shown at `ptsMs`. */
export function flvFrame(dtsMs: number, ptsMs: number, keyframe: boolean, sample: Buffer): Buffer {
  return videoTag(dtsMs, ptsMs - dtsMs, keyframe, 1, sample);
}

function videoTag(dtsMs: number, compositionMs: number, keyframe: boolean, packetType: 0 | 1, payload: Buffer): Buffer {
  if (!Number.isInteger(dtsMs) || dtsMs < 0 || dtsMs > 0xffffffff) throw new RangeError(`FLV timestamp out of range: ${dtsMs}`);
  if (!Number.isInteger(compositionMs) || Math.abs(compositionMs) > 0x7fffff) throw new RangeError(`FLV composition offset out of range: ${compositionMs}`);
  const dataSize = 5 + payload.length;
  const tag = Buffer.allocUnsafe(TAG_HEADER_BYTES + 5);
  tag[0] = VIDEO_TAG;
  tag.writeUIntBE(dataSize, 1, 3);
  tag.writeUIntBE(dtsMs & 0xffffff, 4, 3);
  tag[7] = (dtsMs >>> 24) & 0xff;
  tag.writeUIntBE(0, 8, 3); // stream id
  tag[11] = ((keyframe ? 1 : 2) << 4) | CODEC_AVC;
  tag[12] = packetType;
  tag.writeIntBE(compositionMs, 13, 3);
  const trailer = Buffer.allocUnsafe(4);
  trailer.writeUInt32BE(TAG_HEADER_BYTES + dataSize);
  return Buffer.concat([tag, payload, trailer]);
}

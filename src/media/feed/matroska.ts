/**
 * A minimal streaming Matroska writer: the container framescore feeds HEVC and VP9 in (FLV
 * carries only H.264 on the ffmpeg versions it supports). One video track whose
 * CodecPrivate is the MP4's hvcC record, so samples go in unchanged as SimpleBlocks;
 * the segment has unknown size and each fed segment is one or more clusters. Matroska stores
 * presentation times only, which is all the select filter needs.
 */

const ID = {
  ebml: 0x1a45dfa3, ebmlVersion: 0x4286, ebmlReadVersion: 0x42f7, ebmlMaxIdLength: 0x42f2, ebmlMaxSizeLength: 0x42f3,
  docType: 0x4282, docTypeVersion: 0x4287, docTypeReadVersion: 0x4285,
  segment: 0x18538067, info: 0x1549a966, timecodeScale: 0x2ad7b1,
  tracks: 0x1654ae6b, trackEntry: 0xae, trackNumber: 0xd7, trackUid: 0x73c5, trackType: 0x83, codecId: 0x86, codecPrivate: 0x63a2,
  video: 0xe0, pixelWidth: 0xb0, pixelHeight: 0xba,
  cluster: 0x1f43b675, timecode: 0xe7, simpleBlock: 0xa3,
} as const;

const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const VIDEO_TRACK = 1;
const KEYFRAME_FLAG = 0x80;
/** A block's time is a signed 16-bit offset from its cluster's. */
const MAX_BLOCK_OFFSET = 0x7fff;

function id(value: number): Buffer {
  const bytes = value > 0xffffff ? 4 : value > 0xffff ? 3 : value > 0xff ? 2 : 1;
  const buffer = Buffer.alloc(bytes);
  buffer.writeUIntBE(value, 0, bytes);
  return buffer;
}

/** An element size as an 8-byte EBML variable-length integer. */
function size(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(value) | (1n << 56n));
  return buffer;
}

function element(elementId: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([id(elementId), size(body.length), body]);
}

function uint(elementId: number, value: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeBigUInt64BE(BigInt(value));
  return element(elementId, body);
}

const text = (elementId: number, value: string): Buffer => element(elementId, Buffer.from(value, 'latin1'));

const CODEC_IDS = { hevc: 'V_MPEGH/ISO/HEVC', vp9: 'V_VP9' } as const;

/** EBML header, the open-ended segment, its info (1 ms timestamps) and the one video track (HEVC with its hvcC, or VP9). */
export function matroskaHeader(codec: keyof typeof CODEC_IDS, codecPrivate: Buffer, width: number, height: number): Buffer {
  return Buffer.concat([
    element(ID.ebml,
      uint(ID.ebmlVersion, 1), uint(ID.ebmlReadVersion, 1), uint(ID.ebmlMaxIdLength, 4), uint(ID.ebmlMaxSizeLength, 8),
      text(ID.docType, 'matroska'), uint(ID.docTypeVersion, 4), uint(ID.docTypeReadVersion, 2)),
    id(ID.segment), UNKNOWN_SIZE,
    element(ID.info, uint(ID.timecodeScale, 1_000_000)),
    element(ID.tracks, element(ID.trackEntry,
      uint(ID.trackNumber, VIDEO_TRACK), uint(ID.trackUid, 1), uint(ID.trackType, 1),
      text(ID.codecId, CODEC_IDS[codec]), ...(codecPrivate.length > 0 ? [element(ID.codecPrivate, codecPrivate)] : []),
      element(ID.video, uint(ID.pixelWidth, width), uint(ID.pixelHeight, height)))),
  ]);
}

/**
 * The frames in decode order, each at its presentation time in ms, as clusters: a new
 * one starts whenever a block's time would not fit the signed 16-bit offset from its
 * cluster's (a long GOP), so any segment can be written.
 */
export function matroskaClusters(frames: readonly { readonly data: Buffer; readonly keyframe: boolean }[], ptsMs: readonly number[]): Buffer {
  const clusters: Buffer[] = [];
  let clusterTime = 0;
  let blocks: Buffer[] = [];
  const close = (): void => {
    if (blocks.length > 0) clusters.push(element(ID.cluster, uint(ID.timecode, clusterTime), ...blocks));
    blocks = [];
  };
  frames.forEach((frame, index) => {
    const pts = ptsMs[index]!;
    if (blocks.length === 0 || Math.abs(pts - clusterTime) > MAX_BLOCK_OFFSET) {
      close();
      clusterTime = pts;
    }
    const header = Buffer.alloc(4);
    header[0] = 0x80 | VIDEO_TRACK;
    header.writeInt16BE(pts - clusterTime, 1);
    header[3] = frame.keyframe ? KEYFRAME_FLAG : 0;
    blocks.push(element(ID.simpleBlock, header, frame.data));
  });
  close();
  return Buffer.concat(clusters);
}

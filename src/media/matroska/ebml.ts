/**
 * EBML, Matroska's binary layout: variable-length integers, element headers, and a
 * reader that peeks at element headers through a window, so a walk over block headers
 * reads the headers and skips the frames' bytes.
 */
import type { ByteSource } from '../source/byte-source.js';

export const ID = {
  EBML: 0x1a45dfa3,
  SEGMENT: 0x18538067,
  SEEK_HEAD: 0x114d9b74,
  SEEK: 0x4dbb,
  SEEK_ID: 0x53ab,
  SEEK_POSITION: 0x53ac,
  INFO: 0x1549a966,
  TIMESTAMP_SCALE: 0x2ad7b1,
  TRACKS: 0x1654ae6b,
  CUES: 0x1c53bb6b,
  CUE_POINT: 0xbb,
  CUE_TIME: 0xb3,
  CUE_TRACK_POSITIONS: 0xb7,
  CUE_TRACK: 0xf7,
  CUE_CLUSTER_POSITION: 0xf1,
  CUE_RELATIVE_POSITION: 0xf0,
  CLUSTER: 0x1f43b675,
  TIMESTAMP: 0xe7,
  SIMPLE_BLOCK: 0xa3,
  BLOCK_GROUP: 0xa0,
  BLOCK: 0xa1,
  REFERENCE_BLOCK: 0xfb,
  TAGS: 0x1254c367,
  CHAPTERS: 0x1043a770,
  ATTACHMENTS: 0x1941a469,
} as const;

/** Elements at the Segment's level (and the top level): one of these ends a cluster of unknown size. */
export const SEGMENT_CHILDREN: ReadonlySet<number> = new Set([ID.SEEK_HEAD, ID.INFO, ID.TRACKS, ID.CUES, ID.CLUSTER, ID.TAGS, ID.CHAPTERS, ID.ATTACHMENTS, ID.EBML, ID.SEGMENT]);

/** An element ID (4 bytes at most) and size (8 at most) fit in this many bytes. */
export const MAX_HEADER_BYTES = 12;

/** An EBML variable-length integer at `at`: an element ID keeps its marker bit, a size drops it. */
export function vint(bytes: Uint8Array, at: number, isId: boolean): { value: number; length: number; unknown: boolean } | undefined {
  const first = bytes[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (length > 8 || at + length > bytes.length) return undefined;
  let value = isId ? first : first & (0xff >> length);
  let ones = value === (0xff >> length);
  for (let i = 1; i < length; i += 1) {
    value = value * 256 + bytes[at + i]!;
    ones &&= bytes[at + i] === 0xff;
  }
  return { value, length, unknown: !isId && ones };
}

export interface ElementHeader {
  readonly id: number;
  /** Undefined when the size is unknown (a live recording's Segment or Cluster). */
  readonly size: number | undefined;
  readonly headerLength: number;
}

export function elementHeader(bytes: Uint8Array, at: number): ElementHeader | undefined {
  const id = vint(bytes, at, true);
  if (id === undefined || id.length > 4) return undefined;
  const size = vint(bytes, at + id.length, false);
  if (size === undefined) return undefined;
  return { id: id.value, size: size.unknown ? undefined : size.value, headerLength: id.length + size.length };
}

export function unsignedAt(bytes: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i += 1) value = value * 256 + bytes[at + i]!;
  return value;
}

/**
 * Reads through a window of `windowBytes` from where it is asked: small windows when a
 * walk skips over frames (one read per block header), large ones for a pass over the file.
 */
export class WindowReader {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  /** Bytes read from the source, for measurements. */
  bytesRead = 0;

  constructor(readonly source: Pick<ByteSource, 'size' | 'read'>, private readonly windowBytes: number) {}

  /** `length` bytes from `offset` (fewer at the end of the source). */
  async peek(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.source.size);
    if (offset < this.windowStart || end > this.windowStart + this.window.length) {
      this.window = await this.source.read(offset, Math.max(length, this.windowBytes));
      this.windowStart = offset;
      this.bytesRead += this.window.length;
    }
    return this.window.subarray(offset - this.windowStart, end - this.windowStart);
  }
}

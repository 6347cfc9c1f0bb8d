/**
 * The containers framescore indexes, as one registry (the shape of mediabunny's
 * input-format.ts): each declares how to recognise its first bytes and how to open its
 * index. The first format that recognises the file reads it; a file none recognises,
 * or whose index cannot be read, is sampled by the per-frame seek (AVI, Ogg, ...).
 * mediabunny's own sniffing is not used for the choice: its MP4 check wants an `ftyp`
 * (QuickTime files often start with `wide` or `mdat`) and its MPEG-TS check a sync byte
 * at byte 0, where a captured TS may start mid-packet; its Matroska reader still checks
 * the EBML DocType when the index is opened.
 */
import type { JobContainer } from '../core/contract-sample.js';
import type { ByteSource } from './source/byte-source.js';
import type { IndexReading, WantedTimes } from './index/video-index.js';
import { MATROSKA_FORMAT } from './matroska/matroska-format.js';
import { MPEG_TS_FORMAT } from './mpeg-ts/mpeg-ts-format.js';
import { MP4_FORMAT } from './mp4/mp4-format.js';

export type { IndexReading, WantedTimes } from './index/video-index.js';

export interface ContainerFormat {
  /** For --verbose and errors. */
  readonly name: string;
  /** Its name in the function's decode jobs (the track's `container`, a warm-up answer's sampling lists). */
  readonly jobContainer: JobContainer;
  /** Whether `head` (the first HEAD_BYTES of a `size`-byte file, fewer when it is shorter) is this container's. */
  recognises(head: Buffer, size: number): boolean;
  /**
   * The index of the file's video, or why it cannot be read. Given the times wanted, a
   * format may read only the frames around them, where its own costs say that reads less.
   */
  readIndex(source: ByteSource, wanted: WantedTimes | undefined): Promise<IndexReading>;
  /**
   * Whether this file's index can be read around times without a pass over the whole
   * file (a Matroska file needs Cues), learnt from a few small reads; absent: it can.
   * The fleet's client asks before it lets each invocation index its own times.
   */
  readsAroundTimes?(source: ByteSource): Promise<boolean>;
}

/** Enough for every format's check: four 188-byte TS packets and an MP4 box header. */
export const HEAD_BYTES = 1024;

/**
 * In order: a TS packet cadence may turn up by chance in an MP4's first bytes, while a TS
 * never starts with a well-formed box (its fifth byte is not a printable type character).
 */
export const CONTAINER_FORMATS: readonly ContainerFormat[] = [MATROSKA_FORMAT, MP4_FORMAT, MPEG_TS_FORMAT];

/** The format whose first bytes `source` starts with, if any. */
export async function containerOf(source: ByteSource): Promise<ContainerFormat | undefined> {
  const head = await source.read(0, HEAD_BYTES);
  return CONTAINER_FORMATS.find((format) => format.recognises(head, source.size));
}

/** The video index through the format that recognises the file; `unsupported` says why there is none. */
export async function readVideoIndex(source: ByteSource, wanted?: WantedTimes): Promise<IndexReading> {
  const format = await containerOf(source);
  if (format === undefined) return { unsupported: 'not an MP4/MOV, Matroska, WebM or MPEG-TS file' };
  return format.readIndex(source, wanted);
}

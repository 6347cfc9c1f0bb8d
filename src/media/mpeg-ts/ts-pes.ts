/**
 * The video PES starts of an MPEG-TS: a packet walk that finds the video PID (PAT → PMT)
 * and hands on each PES start (where the frame's packets begin, its PTS/DTS, whether
 * ffmpeg's decoder flags it key) once its first slice says what it is; and the video
 * payloads of a byte range, reassembled for decoding.
 */
import type { ByteSource } from '../source/byte-source.js';
import type { VideoCodec } from '../codec/nal-units.js';
import { accessUnitKind, NO_SLICE, parameterSetSps } from './ts-access-units.js';
import { spsReorderDepth } from '../codec/reorder.js';
import { PACKET, walkPackets, type TsDamage } from './ts-packets.js';
import type { ContinuousTimeline } from './ts-timeline.js';

const CHUNK_PACKETS = 32_768;
const STREAM_TYPES: Partial<Record<number, VideoCodec>> = { 0x1b: 'h264', 0x24: 'hevc' };
/** A PES whose first slice has not turned up within this many bytes is classified by the muxer's flag. */
const MAX_HEAD_BYTES = 256 * 1024;

/** A video PES start: where the frame's packets begin, its times and whether it is a keyframe. */
export interface PesStart {
  readonly offset: number;
  readonly pts: number;
  /** The decode time (the PTS when the PES carries none): in file order, it only grows. */
  readonly dts: number;
  /**
   * ffmpeg's decoder flags it key, so decoding can start here and give a full decode's
   * picture (from the bitstream; the muxer's random-access flag when that says nothing).
   */
  readonly key: boolean;
  /** A keyframe that carries its SPS: that SPS's reordering depth (codec/reorder.ts). */
  readonly reorder?: number;
}

export interface StreamState {
  pmtPid?: number | undefined;
  videoPid?: number | undefined;
  codec: VideoCodec;
  /** Where the packet walk lost sync, shared by every scan of one index. */
  readonly damage: TsDamage[];
}

type ScanOutcome = 'ok' | 'stopped' | 'unsupported';

/**
 * Walks packets, finding the video PID from the PAT and PMT first, and hands each video
 * PES start to `onPes` (in file order, once the access unit's first slice says what it
 * is) until it returns false. With a timeline, times are placed on a full decode's.
 */
export class PesScanner {
  private pending: { offset: number; pts: number; dts: number; randomAccess: boolean; parts: Buffer[]; bytes: number } | undefined;
  private stopped = false;

  /**
   * `timeline`: the times placed on ffmpeg's continuous timeline (a whole-file scan).
   * `reorder`: a keyframe's PesStart says the reordering depth of the SPS it carries (the
   * scans that stop at it); else no keyframe's parameter sets are read.
   */
  constructor(
    private readonly stream: StreamState,
    private readonly onPes: (pes: PesStart) => boolean,
    private readonly options: { readonly timeline?: ContinuousTimeline; readonly reorder?: boolean } = {},
  ) {}

  /** Scans `chunk` (file offset `at`); `next` is where the following read should start. */
  scan(chunk: Buffer, at: number): { outcome: ScanOutcome; next: number } {
    const { stream } = this;
    let unsupported = false;
    const walk = walkPackets(chunk, at, (packet) => {
      const payload = chunk.subarray(packet.payload, packet.end);
      if (stream.videoPid === undefined) {
        if (!packet.unitStart || payload.length === 0) return true;
        if (packet.pid === 0 && stream.pmtPid === undefined) stream.pmtPid = patProgramPid(payload);
        else if (packet.pid === stream.pmtPid) {
          const video = pmtVideoStream(payload);
          if (video === undefined) {
            unsupported = true;
            return false;
          }
          stream.videoPid = video.pid;
          stream.codec = video.codec;
        }
        return true;
      }
      if (packet.pid !== stream.videoPid) return true;
      const header = packet.unitStart ? pesHeader(payload) : undefined;
      if (header !== undefined) {
        if (!this.settle(true)) return false;
        const data = payload.subarray(header.length);
        this.pending = { offset: at + packet.at, pts: header.pts, dts: header.dts, randomAccess: packet.randomAccess, parts: [data], bytes: data.length };
      } else if (this.pending !== undefined && payload.length > 0) {
        this.pending.parts.push(payload);
        this.pending.bytes += payload.length;
      }
      return this.settle(false);
    }, (damage) => stream.damage.push(damage));
    if (unsupported) return { outcome: 'unsupported', next: walk.next };
    return { outcome: walk.stopped || this.stopped ? 'stopped' : 'ok', next: walk.next };
  }

  /** Hands on the PES being read once its kind is known (or now, with `whole`); false once `onPes` said stop. */
  settle(whole: boolean): boolean {
    const pending = this.pending;
    if (pending === undefined) return !this.stopped;
    const last = whole || pending.bytes > MAX_HEAD_BYTES;
    const data = pending.parts.length === 1 ? pending.parts[0]! : Buffer.concat(pending.parts);
    const kind = accessUnitKind(data, this.stream.codec, last);
    if (kind === undefined) return true;
    this.pending = undefined;
    // Nothing in the bitstream (a damaged or foreign frame): the muxer's flag.
    const key = kind === NO_SLICE ? pending.randomAccess : kind === 'key';
    const times = this.options.timeline?.place(pending.pts, pending.dts) ?? pending;
    const sps = key && this.options.reorder === true ? parameterSetSps(data, this.stream.codec) : undefined;
    const start = { offset: pending.offset, pts: times.pts, dts: times.dts, key };
    if (!this.onPes(sps === undefined ? start : { ...start, reorder: spsReorderDepth(this.stream.codec, sps) })) this.stopped = true;
    return !this.stopped;
  }
}

/** Reads that start small and double up to `max`: a scan that usually stops soon, and sometimes crosses a large frame. */
export interface ChunkGrowth {
  readonly first: number;
  readonly max: number;
}

/**
 * Scans from `offset` to `end` or until the scanner's `onPes` returns false ('stopped');
 * undefined when this TS cannot be indexed. The scanner's stream gains the video PID and
 * codec when the scan passes the PAT and PMT.
 */
export async function scanFrom(source: ByteSource, offset: number, scanner: PesScanner, chunkBytes: number | ChunkGrowth = PACKET * CHUNK_PACKETS, end = source.size): Promise<'ok' | 'stopped' | undefined> {
  let size = typeof chunkBytes === 'number' ? chunkBytes : chunkBytes.first;
  for (let at = offset; at < end;) {
    const chunk = await source.read(at, Math.min(size, end - at));
    if (typeof chunkBytes !== 'number') size = Math.min(size * 2, chunkBytes.max);
    const { outcome, next } = scanner.scan(chunk, at);
    if (outcome === 'unsupported') return undefined;
    if (outcome === 'stopped') return 'stopped';
    if (next === 0) break; // less than a packet left
    at += next;
  }
  return scanner.settle(true) ? 'ok' : 'stopped';
}

function patProgramPid(section: Buffer): number | undefined {
  const table = section.subarray(1 + section[0]!);
  const length = ((table[1]! & 0x0f) << 8) | table[2]!;
  for (let at = 8; at + 4 <= Math.min(3 + length - 4, table.length); at += 4) {
    const program = table.readUInt16BE(at);
    if (program !== 0) return ((table[at + 2]! & 0x1f) << 8) | table[at + 3]!;
  }
  return undefined;
}

function pmtVideoStream(section: Buffer): { pid: number; codec: VideoCodec } | undefined {
  const table = section.subarray(1 + section[0]!);
  const length = ((table[1]! & 0x0f) << 8) | table[2]!;
  const end = Math.min(3 + length - 4, table.length);
  let at = 12 + (((table[10]! & 0x0f) << 8) | table[11]!);
  while (at + 5 <= end) {
    const type = table[at]!;
    const pid = ((table[at + 1]! & 0x1f) << 8) | table[at + 2]!;
    const codec = STREAM_TYPES[type];
    if (codec !== undefined) return { pid, codec };
    at += 5 + (((table[at + 3]! & 0x0f) << 8) | table[at + 4]!);
  }
  return undefined;
}

/**
 * The PTS and DTS (seconds; the DTS is the PTS when absent) of a PES header at the start
 * of `payload` and the header's length; undefined when it is not a whole PES header with a
 * PTS (damage: its packets then join the frame before, as in videoPayloads).
 */
function pesHeader(payload: Buffer): { pts: number; dts: number; length: number } | undefined {
  if (payload.length < 14 || payload[0] !== 0 || payload[1] !== 0 || payload[2] !== 1 || !(payload[7]! & 0x80)) return undefined;
  const length = 9 + payload[8]!;
  if (length < 14 || length > payload.length) return undefined;
  const pts = timestamp(payload.subarray(9, 14));
  const dts = (payload[7]! & 0x40) && length >= 19 ? timestamp(payload.subarray(14, 19)) : pts;
  return { pts, dts, length };
}

function timestamp(b: Buffer): number {
  const ticks = ((b[0]! >> 1) & 7) * 2 ** 30 + (b[1]! << 22) + ((b[2]! >> 1) << 15) + (b[3]! << 7) + (b[4]! >> 1);
  return ticks / 90_000;
}

/**
 * The Annex B data of each video PES that starts in `bytes` (PES headers removed; the first
 * must start at byte 0), split where the index's scan splits frames.
 */
export function videoPayloads(bytes: Buffer, videoPid: number): Buffer[] {
  const frames: Buffer[][] = [];
  walkPackets(bytes, 0, (packet) => {
    if (packet.pid !== videoPid || packet.payload >= packet.end) return true;
    const payload = bytes.subarray(packet.payload, packet.end);
    const header = packet.unitStart ? pesHeader(payload) : undefined;
    if (header !== undefined) frames.push([payload.subarray(header.length)]);
    else frames.at(-1)?.push(payload);
    return true;
  });
  return frames.map((parts) => Buffer.concat(parts));
}

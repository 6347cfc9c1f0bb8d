/**
 * framescore's own MPEG-TS index for H.264 and HEVC: one pass over the 188-byte packets finds
 * the video PID (PAT → PMT), each PES start (one per frame, where its bytes begin), its
 * PTS and the random-access flag the muxer sets on keyframes. A TS has no index, so the
 * pass reads the whole file; mediabunny's demuxer does the same but parses every packet
 * in full: 5.3 s on a 10-minute 1080p TS (452 MB) against 0.8 s here, with identical
 * times, key flags and avcC on the test files and that one. A GOP's frames are read back as one
 * byte range and reassembled from the video PID's payloads. Timestamps are the PES
 * PTS, as ffmpeg reports them with -copyts (the identity tests check it).
 * The packet walk is ts-pes.ts; reading around the times a run wants is ts-around.ts.
 */
import type { ByteSource } from '../source/byte-source.js';
import { segmentFromFrames, type CodedSegment } from '../index/segment.js';
import { aroundNote, shownByTime, type IndexWire, type VideoIndex } from '../index/video-index.js';
import type { VideoCodec } from '../codec/nal-units.js';
import { annexBUnits, avcConfigFrom, hvcConfigFrom, lengthPrefixed } from '../codec/annex-b.js';
import { damageNote, PACKET, SYNC, type TsDamage } from './ts-packets.js';
import { ContinuousTimeline } from './ts-timeline.js';
import { PesScanner, scanFrom, videoPayloads, type PesStart, type StreamState } from './ts-pes.js';
import { clockJumps, framesAround, NotBisectable, pesProber, SCAN_BYTES, type TsFrames } from './ts-around.js';

/** The video payloads of a byte range, for the function's GOP jobs (job-segment.ts). */
export { videoPayloads } from './ts-pes.js';

const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

/**
 * The index, or undefined when this is not a plain 188-byte TS with an H.264 or HEVC video
 * stream (mediabunny may still read it). With `around` (seconds on the stream's timeline),
 * only the frames around those times are indexed, found by bisecting the file on decode
 * times as ffmpeg's own seek does, so over S3 or HTTPS the reads follow the targets.
 * `clockContinuous`: the spread probes for a clock that jumps were read already (by the
 * client's probe, of this same object) and saw none, so they are not read again.
 */
export async function readMpegTsIndex(source: ByteSource, around?: readonly number[], clockContinuous = false): Promise<VideoIndex | undefined> {
  if (!looksLikeTs(await source.read(0, PACKET * 4))) return undefined;
  const stream: StreamState = { codec: 'h264', damage: [] };
  let read: TsFrames | undefined;
  // The file's first video PES start (and the next, which bounds the first frame's bytes, when its head is not enough), for the codec record.
  let firstFrames: PesStart[] = [];
  let config: Buffer | undefined;
  if (around !== undefined && around.length > 0) {
    // Only the first frame's start: its parameter sets come before its slices (headConfig).
    if (await scanFrom(source, 0, new PesScanner(stream, (pes) => firstFrames.push(pes) < 1), HEAD_CHUNK) === undefined) return undefined;
    if (stream.videoPid === undefined || firstFrames.length === 0) return undefined;
    config = await headConfig(source, stream, firstFrames[0]!);
    if (config === undefined) {
      firstFrames = [];
      if (await scanFrom(source, 0, new PesScanner(stream, (pes) => firstFrames.push(pes) < 2), SCAN_BYTES) === undefined) return undefined;
      config = await decoderConfig(source, stream, firstFrames);
    }
    if (config === undefined) return undefined;
    read = await framesAround(source, stream, around, clockContinuous);
  }
  if (read === undefined) {
    const frames: PesStart[] = [];
    // The whole file in one pass: its times placed as a full decode places them (a clock that jumps is closed up).
    const timeline = new ContinuousTimeline();
    if (await scanFrom(source, 0, new PesScanner(stream, (pes) => frames.push(pes) > 0, { timeline })) === undefined) return undefined;
    read = { frames, runs: undefined, runEnds: undefined, jumps: timeline.jumps };
    firstFrames = frames.slice(0, 2);
  }
  if (stream.videoPid === undefined || read.frames.length === 0 || firstFrames.length === 0) return undefined;
  config ??= await decoderConfig(source, stream, firstFrames);
  if (config === undefined) return undefined;
  const index = new MpegTsIndex(source, stream.videoPid, stream.codec, read, stream.damage);
  index.decoderConfig = config;
  return index;
}

/** Sync bytes at a packet's spacing at the file's start: three of four (one may be damaged). */
export function looksLikeTs(head: Buffer): boolean {
  for (let first = 0; first < PACKET; first += 1) {
    let syncs = 0;
    for (let at = first; at < head.length; at += PACKET) if (head[at] === SYNC) syncs += 1;
    if (syncs >= 3) return true;
  }
  return false;
}

/**
 * Reading around times, the file's head is read from 24 kB (the PAT, the PMT and the first
 * frame's start lie near the start), doubling: over S3 the first read and the check that
 * this is a TS share one 32 kB block.
 */
const HEAD_CHUNK = { first: PACKET * 128, max: SCAN_BYTES };
/** The first frame's parameter sets are looked for in its first 12 kB: they come before its slices, and an I-frame can be hundreds of kB. */
const PARAMETER_SET_BYTES = PACKET * 64;

/**
 * The decoder config from the parameter sets at the start of the first frame (a few kB
 * of a frame that may be hundreds): what decoderConfig finds in the whole frame, as it
 * takes the first of each kind and they come before the frame's slices; undefined when
 * they are not all there (then the whole frame is read).
 */
async function headConfig(source: ByteSource, stream: StreamState, first: PesStart): Promise<Buffer | undefined> {
  const bytes = await source.read(first.offset, PARAMETER_SET_BYTES);
  const data = videoPayloads(bytes, stream.videoPid!)[0];
  // The last unit may be cut short by the read: not used.
  const units = data === undefined ? [] : annexBUnits(data).slice(0, bytes.length < PARAMETER_SET_BYTES ? undefined : -1);
  return stream.codec === 'h264' ? avcConfigFrom(units) : hvcConfigFrom(units);
}

/** The first frame's parameter sets as an avcC or hvcC record (`firstFrames`: its PES start and the next one's, if any). */
async function decoderConfig(source: ByteSource, stream: StreamState, firstFrames: readonly PesStart[]): Promise<Buffer | undefined> {
  const from = firstFrames[0]!.offset;
  const bytes = await source.read(from, Math.min((firstFrames[1]?.offset ?? source.size) - from, MAX_SEGMENT_BYTES));
  const data = videoPayloads(bytes, stream.videoPid!)[0];
  const units = data === undefined ? [] : annexBUnits(data);
  return stream.codec === 'h264' ? avcConfigFrom(units) : hvcConfigFrom(units);
}

/**
 * The whole-file index of an MPEG-TS whose clock jumps (files joined with `cat`), its times
 * on ffmpeg's continuous timeline; undefined when spread probes (about 1.2 MB read) see no
 * jump or this is not a TS this index reads. The probe takes the file's length from it;
 * 'continuous' when those probes were read and saw none (the function's span jobs are
 * told so: clockJumps gives the same answer on the same bytes).
 */
export async function readJumpedMpegTsIndex(source: ByteSource): Promise<VideoIndex | 'continuous' | undefined> {
  if (!looksLikeTs(await source.read(0, PACKET * 4))) return undefined;
  const stream: StreamState = { codec: 'h264', damage: [] };
  if (await scanFrom(source, 0, new PesScanner(stream, () => false), SCAN_BYTES) === undefined || stream.videoPid === undefined) return undefined;
  try {
    if (!(await clockJumps(source.size, pesProber(source, stream)))) return 'continuous';
  } catch (error) {
    if (error instanceof NotBisectable) return undefined;
    throw error;
  }
  return readMpegTsIndex(source);
}

/** The tail the last frame is looked for in first: about the relay blocks ffprobe read there to estimate the duration. */
const TAIL_BYTES = 512 * 1024;
/** ...doubled up to this while it holds too few frames to be sure (a high bit rate). */
const MAX_TAIL_BYTES = 8 * 1024 * 1024;
/**
 * Frames in decode order after the one shown last are shown before it, at most the
 * H.264/HEVC reordering limit (16): among the last 17 frames decoded is the last shown.
 */
const LAST_SHOWN_WITHIN = 17;

/**
 * The presentation time (the PES PTS, as ffprobe reports it) of the last frame shown,
 * from the video PES starts in the file's last few hundred kB; undefined when this is not
 * a TS this index reads or its tail holds too few frames (then ffprobe's packet scan decides).
 */
export async function readMpegTsLastPts(source: ByteSource): Promise<number | undefined> {
  if (!looksLikeTs(await source.read(0, PACKET * 4))) return undefined;
  const stream: StreamState = { codec: 'h264', damage: [] };
  if (await scanFrom(source, 0, new PesScanner(stream, () => false), SCAN_BYTES) === undefined || stream.videoPid === undefined) return undefined;
  for (let tail = TAIL_BYTES; tail <= MAX_TAIL_BYTES; tail *= 2) {
    const from = Math.max(0, Math.floor((source.size - tail) / PACKET) * PACKET);
    const starts: PesStart[] = [];
    if (await scanFrom(source, from, new PesScanner({ ...stream, damage: [] }, (pes) => starts.push(pes) > 0), SCAN_BYTES) === undefined) return undefined;
    if (starts.length >= LAST_SHOWN_WITHIN || from === 0) return starts.length === 0 ? undefined : Math.max(...starts.map((pes) => pes.pts));
  }
  return undefined;
}

export class MpegTsIndex implements VideoIndex {
  readonly container = 'MPEG-TS';
  decoderConfig: Buffer = Buffer.alloc(0);
  readonly width = 0;
  readonly height = 0;
  readonly sampleCount: number;
  readonly times: Float64Array;
  readonly keyframes: Uint8Array;
  readonly shown: Uint32Array;
  readonly partial: string | undefined;
  /** Where the packet walk lost sync and what the clock did, for --verbose. */
  readonly damage: string | undefined;
  private readonly offsets: Float64Array;
  private readonly runs: Uint32Array | undefined;
  private readonly runEnds: readonly number[] | undefined;
  readonly wire: IndexWire;

  constructor(private readonly source: ByteSource, readonly pid: number, readonly codec: VideoCodec, read: TsFrames, damage: readonly TsDamage[]) {
    const { frames } = read;
    this.offsets = Float64Array.from(frames, (pes) => pes.offset);
    this.runs = read.runs;
    this.wire = { container: 'mpeg-ts', pid, nalLengthSize: 4 };
    this.runEnds = read.runEnds;
    this.sampleCount = frames.length;
    // Microseconds, as ffmpeg prints them.
    this.times = Float64Array.from(frames, (pes) => Math.round(pes.pts * 1e6) / 1e6);
    this.keyframes = Uint8Array.from(frames, (pes) => (pes.key ? 1 : 0));
    const seen = [...new Map(damage.map((place) => [place.offset, place])).values()].sort((a, b) => a.offset - b.offset);
    const notes = [seen.length > 0 ? damageNote(seen) : '', read.jumps ? `its clock jumps ${read.jumps}× (joined files?): times continue across each jump, as a full ffmpeg decode shows them` : ''];
    this.damage = notes.filter(Boolean).join('; ') || undefined;
    this.shown = shownByTime(this.times);
    this.partial = read.runs === undefined || read.runs.length === 0 ? undefined : aroundNote(read.runs[read.runs.length - 1]! + 1);
  }

  /**
   * Where frames first..last lie: each from its PES start to the next frame's (so the
   * span from the first's start to the last's end holds them all, for videoPayloads);
   * a string says why they cannot be read together. The function's decode jobs carry these.
   */
  frameSpans(first: number, last: number): { offsets: number[]; sizes: number[] } | string {
    if (this.runs !== undefined && this.runs[first] !== this.runs[last]) return 'its keyframe was not read with it';
    const offsets: number[] = [];
    const sizes: number[] = [];
    for (let frame = first; frame <= last; frame += 1) {
      const endsRun = this.runs !== undefined && (frame + 1 >= this.sampleCount || this.runs[frame + 1] !== this.runs[frame]);
      const to = endsRun ? this.runEnds![this.runs![frame]!]! : this.offsets[frame + 1] ?? this.source.size;
      offsets.push(this.offsets[frame]!);
      sizes.push(to - this.offsets[frame]!);
    }
    if (offsets.length > 0 && offsets.at(-1)! + sizes.at(-1)! - offsets[0]! > MAX_SEGMENT_BYTES) return 'its group of pictures is too large to read at once';
    return { offsets, sizes };
  }

  /** The Annex B data of frames first..last (PES headers removed), which must lie in one run. */
  async frameData(first: number, last: number): Promise<Buffer[]> {
    const from = this.offsets[first]!;
    const endsRun = this.runs !== undefined && (last + 1 >= this.sampleCount || this.runs[last + 1] !== this.runs[last]);
    const to = endsRun ? this.runEnds![this.runs![last]!]! : this.offsets[last + 1] ?? this.source.size;
    if (to - from > MAX_SEGMENT_BYTES) throw new Error('its group of pictures is too large to read at once');
    const bytes = await this.source.read(from, to - from);
    return videoPayloads(bytes, this.pid).slice(0, last - first + 1);
  }

  async readFrames(start: number, targets: readonly number[]): Promise<CodedSegment | string> {
    const target = Math.max(...targets);
    if (this.runs !== undefined && this.runs[start] !== this.runs[target]) return 'its keyframe was not read with it';
    let data: Buffer[];
    try {
      data = (await this.frameData(start, target)).map((frame) => lengthPrefixed(annexBUnits(frame)));
    } catch (error) {
      return (error as Error).message;
    }
    if (data.length !== target - start + 1) return 'the file ended early';
    return segmentFromFrames(data, start, { sampleCount: this.sampleCount, times: this.times, nalLengthSize: 4, codec: this.codec }, targets);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

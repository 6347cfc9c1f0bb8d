/**
 * framescore's own MPEG-TS index for H.264 and HEVC: one pass over the 188-byte packets finds
 * the video PID (PAT → PMT), each PES start (one per frame, where its bytes begin), its
 * PTS and the random-access flag the muxer sets on keyframes. A TS has no index, so the
 * pass reads the whole file; mediabunny's demuxer does the same but parses every packet
 * in full: 5.3 s on a 10-minute 1080p TS (452 MB) against 0.8 s here, with identical
 * times, key flags and avcC on the test files and that one. A GOP's frames are read back as one
 * byte range and reassembled from the video PID's payloads. Timestamps are the PES
 * PTS, as ffmpeg reports them with -copyts (the identity tests check it).
 */
import pLimit from 'p-limit';
import type { ByteSource } from '../source/byte-source.js';
import { segmentFromFrames, type CodedSegment } from '../mp4/segment.js';
import { aroundNote, flattenRuns, shownByTime, type VideoIndex } from '../index/video-index.js';
import type { VideoCodec } from '../mp4/nal-units.js';
import { annexBUnits, avcConfigFrom, hvcConfigFrom, lengthPrefixed } from './annex-b.js';

const PACKET = 188;
const SYNC = 0x47;
const CHUNK_PACKETS = 32_768;
const STREAM_TYPES: Partial<Record<number, VideoCodec>> = { 0x1b: 'h264', 0x24: 'hevc' };
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

/** A video PES start: where the frame's packets begin, its times and the muxer's random-access flag. */
interface PesStart {
  readonly offset: number;
  readonly pts: number;
  /** The decode time (the PTS when the PES carries none): in file order, it only grows. */
  readonly dts: number;
  readonly key: boolean;
}

interface StreamState {
  pmtPid?: number | undefined;
  videoPid?: number | undefined;
  codec: VideoCodec;
}

/**
 * Walks the packets of `chunk` (file offset `at`), finding the video PID from the PAT and
 * PMT first, and hands each video PES start to `onPes` until it returns false. Says
 * 'stopped' then, 'ok' at the chunk's end, 'unsupported' when this is not a TS it can index.
 */
function scanChunk(chunk: Buffer, at: number, stream: StreamState, onPes: (pes: PesStart) => boolean): 'ok' | 'stopped' | 'unsupported' {
  for (let p = 0; p + PACKET <= chunk.length; p += PACKET) {
    if (chunk[p] !== SYNC) return 'unsupported';
    const pusi = (chunk[p + 1]! & 0x40) !== 0;
    const pid = ((chunk[p + 1]! & 0x1f) << 8) | chunk[p + 2]!;
    const control = (chunk[p + 3]! >> 4) & 3;
    let payload = p + 4;
    let randomAccess = false;
    if (control & 2) {
      const length = chunk[p + 4]!;
      if (length > 0) randomAccess = (chunk[p + 5]! & 0x40) !== 0;
      payload += 1 + length;
    }
    if (!(control & 1) || !pusi || payload >= p + PACKET) continue;
    if (stream.videoPid === undefined) {
      if (pid === 0 && stream.pmtPid === undefined) stream.pmtPid = patProgramPid(chunk.subarray(payload, p + PACKET));
      else if (pid === stream.pmtPid) {
        const video = pmtVideoStream(chunk.subarray(payload, p + PACKET));
        if (video === undefined) return 'unsupported';
        stream.videoPid = video.pid;
        stream.codec = video.codec;
      }
      continue;
    }
    if (pid !== stream.videoPid) continue;
    const times = pesTimes(chunk.subarray(payload, p + PACKET));
    if (times === undefined) return 'unsupported';
    if (!onPes({ offset: at + p, pts: times.pts, dts: times.dts, key: randomAccess })) return 'stopped';
  }
  return 'ok';
}

/**
 * The index, or undefined when this is not a plain 188-byte TS with an H.264 or HEVC video
 * stream (mediabunny may still read it). With `around` (seconds on the stream's timeline),
 * only the frames around those times are indexed, found by bisecting the file on decode
 * times as ffmpeg's own seek does, so over S3 or HTTPS the reads follow the targets.
 */
export async function readMpegTsIndex(source: ByteSource, around?: readonly number[]): Promise<VideoIndex | undefined> {
  const head = await source.read(0, PACKET * 3);
  if (head.length < PACKET * 2 || head[0] !== SYNC || head[PACKET] !== SYNC) return undefined;
  const stream: StreamState = { codec: 'h264' };
  let read: TsFrames | undefined;
  // The file's first two video PES starts after the PMT bound the first frame's bytes, for the codec record.
  let firstFrames: PesStart[] = [];
  if (around !== undefined && around.length > 0) {
    if (await scanFrom(source, 0, stream, (pes) => firstFrames.push(pes) < 2, SCAN_BYTES) === undefined) return undefined;
    read = await framesAround(source, stream, around);
  }
  if (read === undefined) {
    const frames: PesStart[] = [];
    if (await scanFrom(source, 0, stream, (pes) => frames.push(pes) > 0) === undefined) return undefined;
    read = { frames, runs: undefined, runEnds: undefined };
    firstFrames = frames.slice(0, 2);
  }
  if (stream.videoPid === undefined || read.frames.length === 0 || firstFrames.length === 0) return undefined;
  const index = new MpegTsIndex(source, stream.videoPid, stream.codec, read);
  const config = await decoderConfig(source, stream, firstFrames);
  if (config === undefined) return undefined;
  index.decoderConfig = config;
  return index;
}

/**
 * Scans from `offset` (a packet boundary) to the end or until `onPes` returns false
 * ('stopped'); undefined when this TS cannot be indexed. `stream` gains the video PID
 * and codec when the scan passes the PAT and PMT.
 */
async function scanFrom(source: ByteSource, offset: number, stream: StreamState, onPes: (pes: PesStart) => boolean, chunkBytes = PACKET * CHUNK_PACKETS): Promise<'ok' | 'stopped' | undefined> {
  for (let at = offset; at < source.size; at += chunkBytes) {
    const chunk = await source.read(at, Math.min(chunkBytes, source.size - at));
    const outcome = scanChunk(chunk, at, stream, onPes);
    if (outcome === 'unsupported') return undefined;
    if (outcome === 'stopped') return 'stopped';
  }
  return 'ok';
}

/** The first frame's parameter sets as an avcC or hvcC record (`firstFrames`: its PES start and the next one's, if any). */
async function decoderConfig(source: ByteSource, stream: StreamState, firstFrames: readonly PesStart[]): Promise<Buffer | undefined> {
  const from = firstFrames[0]!.offset;
  const bytes = await source.read(from, Math.min((firstFrames[1]?.offset ?? source.size) - from, MAX_SEGMENT_BYTES));
  let data: Buffer | undefined;
  try {
    data = videoPayloads(bytes, stream.videoPid!)[0];
  } catch {
    return undefined;
  }
  const units = data === undefined ? [] : annexBUnits(data);
  return stream.codec === 'h264' ? avcConfigFrom(units) : hvcConfigFrom(units);
}

interface TsFrames {
  readonly frames: readonly PesStart[];
  /** Which run of contiguous frames each is in, when only the frames around some times were read. */
  readonly runs: Uint32Array | undefined;
  /** Per run, the file offset where its last frame's packets end. */
  readonly runEnds: readonly number[] | undefined;
}

/**
 * Probes on decode time are half a second of the stream apart (by its mean bit rate), a
 * whole number of packets between 64 kB and 1 MB: the scan around a time starts at most
 * that far before its keyframe.
 */
const GRID_SECONDS = 0.5;
const MIN_GRID_BYTES = PACKET * 348;
const MAX_GRID_BYTES = PACKET * 5_600;
/** A probe reads at most this much to find a video PES start (a 1080p I-frame can span several hundred kB). */
const PROBE_BYTES = PACKET * 4_096;
/** ...read this much at a time: usually the first read finds one. */
const PROBE_STEP_BYTES = PACKET * 192;
/** Reads while scanning around a time: a few range requests a GOP. */
const SCAN_BYTES = PACKET * 2_048;
const LOOKUPS_AT_ONCE = 8;
/** A decode time this much below an earlier one is a clock that went back: bisection cannot work, so the whole file is scanned. */
const BACKWARDS_SECONDS = 1;

class NotBisectable extends Error {}

/**
 * The frames that answer `times`, as readDemuxedIndex reads Matroska around them: for each
 * time, from the last keyframe shown at or before it through the next keyframe and its
 * leading pictures. The keyframe is found by bisecting on the decode times of PES starts
 * at ~1 MB grid points, then scanning forward from there (one grid step back at a time
 * until a keyframe at or before the time turns up). Undefined when the clock goes back
 * (a looped capture): then only a full scan orders the frames as ffmpeg does.
 */
async function framesAround(source: ByteSource, stream: StreamState, times: readonly number[]): Promise<TsFrames | undefined> {
  const probes = new Map<number, Promise<PesStart | undefined>>();
  /** The first video PES start at or after byte `from` (a packet boundary), within PROBE_BYTES. */
  const probeAt = (from: number): Promise<PesStart | undefined> => {
    let found = probes.get(from);
    if (found === undefined) {
      found = (async () => {
        let pes: PesStart | undefined;
        const to = Math.min(from + PROBE_BYTES, source.size);
        for (let at = from; pes === undefined && at < to; at += PROBE_STEP_BYTES) {
          const chunk = await source.read(at, Math.min(PROBE_STEP_BYTES, to - at));
          if (scanChunk(chunk, at, { ...stream }, (start) => { pes = start; return false; }) === 'unsupported') throw new NotBisectable();
        }
        return pes;
      })();
      probes.set(from, found);
    }
    return found;
  };
  // The last PES start: a few frames from the end.
  const lastPacket = Math.max(0, Math.floor((source.size - 4 * PROBE_STEP_BYTES) / PACKET) * PACKET);
  const [head, tail] = await Promise.all([probeAt(0), probeAt(lastPacket)]);
  if (head !== undefined && tail !== undefined && tail.dts < head.dts - BACKWARDS_SECONDS) return undefined;
  const span = head !== undefined && tail !== undefined ? tail.dts - head.dts : 0;
  const bytesPerSecond = span > 0 ? lastPacket / span : Infinity;
  const grid = Math.min(MAX_GRID_BYTES, Math.max(MIN_GRID_BYTES, Math.round((bytesPerSecond * GRID_SECONDS) / PACKET) * PACKET));
  const points = Math.max(1, Math.ceil(source.size / grid));
  const probe = (point: number): Promise<PesStart | undefined> => probeAt(point * grid);
  /**
   * The last grid point whose first PES decodes at or before `time`: interpolation search
   * on decode times (a broadcast stream's bytes grow about evenly with time, so two or three
   * probes usually do; each probe costs a range read), with a bisection every fourth round
   * so an uneven stream still takes logarithmic time.
   */
  const bisect = async (time: number): Promise<number> => {
    let low = 0;
    let high = points - 1;
    let lowDts = (await probe(low))?.dts;
    const top = await probe(high);
    if (top !== undefined && top.dts <= time) return high;
    let highDts = top?.dts;
    for (let round = 1; low + 1 < high; round += 1) {
      let middle = (low + high) >>> 1;
      if (round % 4 !== 0 && lowDts !== undefined && highDts !== undefined && highDts > lowDts) {
        const guess = low + Math.round(((time - lowDts) / (highDts - lowDts)) * (high - low));
        middle = Math.min(high - 1, Math.max(low + 1, guess));
      }
      const pes = await probe(middle);
      if (pes !== undefined && pes.dts <= time) {
        low = middle;
        lowDts = pes.dts;
      } else {
        high = middle;
        highDts = pes?.dts;
      }
    }
    return low;
  };
  const runs: PesStart[][] = [];
  const covered = (time: number): boolean => runs.some((run) => run[0]!.key && run[0]!.pts <= time && (run.find((pes, i) => i > 0 && pes.key)?.pts ?? Infinity) > time);
  const aroundOne = async (time: number): Promise<void> => {
    if (covered(time)) return;
    // Past the next grid point every frame decodes after the time, so its keyframe lies before: look back from there.
    const key = await keyBefore(source, stream, Math.min(source.size, (await bisect(time) + 1) * grid + PROBE_STEP_BYTES), time, grid);
    const run = await runFrom(source, stream, key ?? 0, time, grid);
    if (run === 'no keyframe') throw new NotBisectable();
    if (run.length > 0) runs.push(run);
  };  try {
    const limit = pLimit(LOOKUPS_AT_ONCE);
    await Promise.all([...new Set(times)].sort((a, b) => a - b).map((time) => limit(() => aroundOne(time))));
    const probed = (await Promise.all([...probes].sort(([a], [b]) => a - b).map(([, pes]) => pes))).filter((pes) => pes !== undefined);
    if (probed.some((pes, i) => i > 0 && pes.dts < probed[i - 1]!.dts - BACKWARDS_SECONDS)) return undefined;
  } catch (error) {
    if (error instanceof NotBisectable) return undefined;
    throw error;
  }
  runs.sort((a, b) => a[0]!.offset - b[0]!.offset);
  const joined: PesStart[][] = [];
  const ends: number[] = [];
  for (const run of runs) {
    const end = runEnd(run, source.size);
    const last = joined[joined.length - 1];
    const overlap = last?.findIndex((pes) => pes.offset === run[0]!.offset) ?? -1;
    if (last === undefined || overlap < 0) {
      if (last !== undefined && run[0]!.offset < ends[ends.length - 1]!) continue; // inside the run before: already read
      joined.push([...run]);
      ends.push(end);
      continue;
    }
    last.length = overlap;
    for (const pes of run) last.push(pes);
    ends[ends.length - 1] = Math.max(ends[ends.length - 1]!, end);
  }
  const { items: frames, runs: numbers } = flattenRuns(joined);
  return { frames, runs: numbers, runEnds: ends };
}

/** Looking back further than this for a keyframe gives up on reading around times. */
const MAX_KEY_SEARCH_BYTES = 32 * 1024 * 1024;

/**
 * The offset of the last keyframe before byte `end` shown at or before `time`, reading
 * back from `end` a chunk (half a second of the stream) at a time; undefined when there is none (decode from the start).
 */
async function keyBefore(source: ByteSource, stream: StreamState, end: number, time: number, chunkBytes: number): Promise<number | undefined> {
  for (let to = end; to > 0;) {
    // A stream whose muxer flags no keyframes (or GOPs this long) would be read back to its start for every time: one pass instead.
    if (end - to > MAX_KEY_SEARCH_BYTES) throw new NotBisectable();
    const from = Math.max(0, to - chunkBytes);
    const chunk = await source.read(from, to - from);
    let found: number | undefined;
    if (scanChunk(chunk, from, { ...stream }, (pes) => {
      if (pes.key && pes.pts <= time) found = pes.offset;
      return true;
    }) === 'unsupported') throw new NotBisectable();
    if (found !== undefined) return found;
    to = from;
  }
  return undefined;
}

/** Where a run read by runFrom ends: recorded on its array as the offset of the first PES start it left out. */
const RUN_END = Symbol('runEnd');
type Run = PesStart[] & { [RUN_END]?: number };
const runEnd = (run: Run, size: number): number => run[RUN_END] ?? size;

/**
 * From `offset`, the frames from the last keyframe shown at or before `time` (in decode
 * order, before the first keyframe after it) through that next keyframe and its leading
 * pictures; 'no keyframe' when none at or before the time lies between `offset` and it.
 */
async function runFrom(source: ByteSource, stream: StreamState, offset: number, time: number, chunkBytes: number): Promise<Run | 'no keyframe'> {
  const seen: PesStart[] = [];
  let start = -1;
  let next: PesStart | undefined;
  let stop: PesStart | undefined;
  let lastDts = -Infinity;
  let missed = false;
  const outcome = await scanFrom(source, offset, { ...stream }, (pes) => {
    if (pes.dts < lastDts - BACKWARDS_SECONDS) throw new NotBisectable();
    lastDts = Math.max(lastDts, pes.dts);
    if (next !== undefined && pes.pts >= next.pts) {
      stop = pes;
      return false;
    }
    if (next === undefined && pes.key) {
      if (pes.pts <= time) start = seen.length;
      else if (start < 0 && offset > 0) {
        // Started after the keyframe this time decodes from: step back.
        missed = true;
        return false;
      } else next = pes;
    }
    seen.push(pes);
    return true;
  }, chunkBytes);
  if (outcome === undefined) throw new NotBisectable();
  if (missed || (start < 0 && offset > 0)) return 'no keyframe';
  start = Math.max(0, start);
  const run: Run = seen.slice(start);
  if (stop !== undefined) run[RUN_END] = (stop as PesStart).offset;
  return run;
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

/** The PTS and DTS (seconds; the DTS is the PTS when absent) of a PES header at the start of `payload`. */
function pesTimes(payload: Buffer): { pts: number; dts: number } | undefined {
  if (payload.length < 14 || payload[0] !== 0 || payload[1] !== 0 || payload[2] !== 1 || !(payload[7]! & 0x80)) return undefined;
  const pts = timestamp(payload.subarray(9, 14));
  const dts = (payload[7]! & 0x40) && payload.length >= 19 ? timestamp(payload.subarray(14, 19)) : pts;
  return { pts, dts };
}

function timestamp(b: Buffer): number {
  const ticks = ((b[0]! >> 1) & 7) * 2 ** 30 + (b[1]! << 22) + ((b[2]! >> 1) << 15) + (b[3]! << 7) + (b[4]! >> 1);
  return ticks / 90_000;
}

/** The Annex B data of each video PES that starts in `bytes` (PES headers removed; the first must start at byte 0). */
function videoPayloads(bytes: Buffer, videoPid: number): Buffer[] {
  const frames: Buffer[][] = [];
  for (let p = 0; p + PACKET <= bytes.length; p += PACKET) {
    if (bytes[p] !== SYNC) throw new Error('lost MPEG-TS packet sync');
    const pid = ((bytes[p + 1]! & 0x1f) << 8) | bytes[p + 2]!;
    const control = (bytes[p + 3]! >> 4) & 3;
    if (pid !== videoPid || !(control & 1)) continue;
    let payload = p + 4 + (control & 2 ? 1 + bytes[p + 4]! : 0);
    if (payload >= p + PACKET) continue;
    if (bytes[p + 1]! & 0x40) {
      frames.push([]);
      payload += 9 + bytes[payload + 8]!;
    }
    frames.at(-1)?.push(bytes.subarray(payload, p + PACKET));
  }
  return frames.map((parts) => Buffer.concat(parts));
}

class MpegTsIndex implements VideoIndex {
  readonly container = 'MPEG-TS';
  decoderConfig: Buffer = Buffer.alloc(0);
  readonly width = 0;
  readonly height = 0;
  readonly sampleCount: number;
  readonly times: Float64Array;
  readonly keyframes: Uint8Array;
  readonly shown: Uint32Array;
  readonly partial: string | undefined;
  private readonly offsets: Float64Array;
  private readonly runs: Uint32Array | undefined;
  private readonly runEnds: readonly number[] | undefined;

  constructor(private readonly source: ByteSource, private readonly pid: number, readonly codec: VideoCodec, read: TsFrames) {
    const { frames } = read;
    this.offsets = Float64Array.from(frames, (pes) => pes.offset);
    this.runs = read.runs;
    this.runEnds = read.runEnds;
    this.sampleCount = frames.length;
    // Microseconds, as ffmpeg prints them.
    this.times = Float64Array.from(frames, (pes) => Math.round(pes.pts * 1e6) / 1e6);
    this.keyframes = Uint8Array.from(frames, (pes) => (pes.key ? 1 : 0));
    this.shown = shownByTime(this.times);
    this.partial = read.runs === undefined || read.runs.length === 0 ? undefined : aroundNote(read.runs[read.runs.length - 1]! + 1);
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

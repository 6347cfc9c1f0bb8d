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
import { segmentFromFrames, type CodedSegment } from '../index/segment.js';
import { aroundNote, flattenRuns, shownByTime, type IndexWire, type VideoIndex } from '../index/video-index.js';
import type { VideoCodec } from '../codec/nal-units.js';
import { annexBUnits, avcConfigFrom, hvcConfigFrom, lengthPrefixed } from '../codec/annex-b.js';
import { accessUnitKind, NO_SLICE } from './ts-access-units.js';
import { damageNote, PACKET, SYNC, walkPackets, type TsDamage } from './ts-packets.js';
import { ContinuousTimeline, DTS_JUMP_SECONDS } from './ts-timeline.js';

const CHUNK_PACKETS = 32_768;
const STREAM_TYPES: Partial<Record<number, VideoCodec>> = { 0x1b: 'h264', 0x24: 'hevc' };
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;
/** A PES whose first slice has not turned up within this many bytes is classified by the muxer's flag. */
const MAX_HEAD_BYTES = 256 * 1024;

/** A video PES start: where the frame's packets begin, its times and whether it is a keyframe. */
interface PesStart {
  readonly offset: number;
  readonly pts: number;
  /** The decode time (the PTS when the PES carries none): in file order, it only grows. */
  readonly dts: number;
  /**
   * ffmpeg's decoder flags it key, so decoding can start here and give a full decode's
   * picture (from the bitstream; the muxer's random-access flag when that says nothing).
   */
  readonly key: boolean;
}

interface StreamState {
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
class PesScanner {
  private pending: { offset: number; pts: number; dts: number; randomAccess: boolean; parts: Buffer[]; bytes: number } | undefined;
  private stopped = false;

  constructor(private readonly stream: StreamState, private readonly onPes: (pes: PesStart) => boolean, private readonly timeline?: ContinuousTimeline) {}

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
    const kind = accessUnitKind(pending.parts.length === 1 ? pending.parts[0]! : Buffer.concat(pending.parts), this.stream.codec, last);
    if (kind === undefined) return true;
    this.pending = undefined;
    // Nothing in the bitstream (a damaged or foreign frame): the muxer's flag.
    const key = kind === NO_SLICE ? pending.randomAccess : kind === 'key';
    const times = this.timeline?.place(pending.pts, pending.dts) ?? pending;
    if (!this.onPes({ offset: pending.offset, pts: times.pts, dts: times.dts, key })) this.stopped = true;
    return !this.stopped;
  }
}

/**
 * The index, or undefined when this is not a plain 188-byte TS with an H.264 or HEVC video
 * stream (mediabunny may still read it). With `around` (seconds on the stream's timeline),
 * only the frames around those times are indexed, found by bisecting the file on decode
 * times as ffmpeg's own seek does, so over S3 or HTTPS the reads follow the targets.
 */
export async function readMpegTsIndex(source: ByteSource, around?: readonly number[]): Promise<VideoIndex | undefined> {
  if (!looksLikeTs(await source.read(0, PACKET * 4))) return undefined;
  const stream: StreamState = { codec: 'h264', damage: [] };
  let read: TsFrames | undefined;
  // The file's first two video PES starts after the PMT bound the first frame's bytes, for the codec record.
  let firstFrames: PesStart[] = [];
  if (around !== undefined && around.length > 0) {
    if (await scanFrom(source, 0, new PesScanner(stream, (pes) => firstFrames.push(pes) < 2), SCAN_BYTES) === undefined) return undefined;
    read = await framesAround(source, stream, around);
  }
  if (read === undefined) {
    const frames: PesStart[] = [];
    // The whole file in one pass: its times placed as a full decode places them (a clock that jumps is closed up).
    const timeline = new ContinuousTimeline();
    if (await scanFrom(source, 0, new PesScanner(stream, (pes) => frames.push(pes) > 0, timeline)) === undefined) return undefined;
    read = { frames, runs: undefined, runEnds: undefined, jumps: timeline.jumps };
    firstFrames = frames.slice(0, 2);
  }
  if (stream.videoPid === undefined || read.frames.length === 0 || firstFrames.length === 0) return undefined;
  const index = new MpegTsIndex(source, stream.videoPid, stream.codec, read, stream.damage);
  const config = await decoderConfig(source, stream, firstFrames);
  if (config === undefined) return undefined;
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
 * Scans from `offset` to `end` or until the scanner's `onPes` returns false ('stopped');
 * undefined when this TS cannot be indexed. The scanner's stream gains the video PID and
 * codec when the scan passes the PAT and PMT.
 */
async function scanFrom(source: ByteSource, offset: number, scanner: PesScanner, chunkBytes = PACKET * CHUNK_PACKETS, end = source.size): Promise<'ok' | 'stopped' | undefined> {
  for (let at = offset; at < end;) {
    const chunk = await source.read(at, Math.min(chunkBytes, end - at));
    const { outcome, next } = scanner.scan(chunk, at);
    if (outcome === 'unsupported') return undefined;
    if (outcome === 'stopped') return 'stopped';
    if (next === 0) break; // less than a packet left
    at += next;
  }
  return scanner.settle(true) ? 'ok' : 'stopped';
}

/** The first frame's parameter sets as an avcC or hvcC record (`firstFrames`: its PES start and the next one's, if any). */
async function decoderConfig(source: ByteSource, stream: StreamState, firstFrames: readonly PesStart[]): Promise<Buffer | undefined> {
  const from = firstFrames[0]!.offset;
  const bytes = await source.read(from, Math.min((firstFrames[1]?.offset ?? source.size) - from, MAX_SEGMENT_BYTES));
  const data = videoPayloads(bytes, stream.videoPid!)[0];
  const units = data === undefined ? [] : annexBUnits(data);
  return stream.codec === 'h264' ? avcConfigFrom(units) : hvcConfigFrom(units);
}

interface TsFrames {
  readonly frames: readonly PesStart[];
  /** Which run of contiguous frames each is in, when only the frames around some times were read. */
  readonly runs: Uint32Array | undefined;
  /** Per run, the file offset where its last frame's packets end. */
  readonly runEnds: readonly number[] | undefined;
  /** Times the clock jumped and the times after were moved to continue it (a full scan only). */
  readonly jumps?: number;
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
  const probeAt = pesProber(source, stream, probes);
  // The last PES start: a few frames from the end.
  const lastPacket = Math.max(0, Math.floor((source.size - 4 * PROBE_STEP_BYTES) / PACKET) * PACKET);
  const [head, tail] = await Promise.all([probeAt(0), probeAt(lastPacket)]);
  if (head !== undefined && tail !== undefined && tail.dts < head.dts - BACKWARDS_SECONDS) return undefined;
  if (await clockJumps(source.size, probeAt)) return undefined;
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
    // A clock that jumps ahead between neighbouring points: only a full scan closes it up as ffmpeg does.
    // Far apart in time is not yet a jump (a still slate costs few bytes a second): look between them.
    if (await jumpsBetween(probeAt, low * grid, Math.min(source.size, (low + 1) * grid))) throw new NotBisectable();
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

/** keyBefore reads this far past its chunk to see the first slice of a frame starting near the chunk's end. */
const LOOKAHEAD_BYTES = PACKET * 64;
/**
 * Probes spread over the file, to its last packet, to see whether its clock jumps (files
 * joined with `cat`): a part shorter than 1/32 of the file can slip between them (about
 * 1.2 MB read in all).
 */
const CLOCK_PROBES = 32;
/**
 * A step between spread probes this many times their median (beyond DTS_JUMP_SECONDS) is
 * looked into. Every step of a long file is far more than the threshold (43 s between the
 * probes of a 23-minute file): looking into each would cost hundreds of range reads.
 */
const UNEVEN_STEP = 4;

/**
 * Whether the decode times of PES starts spread evenly over the file go back anywhere, or
 * step ahead by more than a jump's threshold between two consecutive frames (an uneven step
 * between probes is looked into: a still slate is far apart in time too): then ffmpeg's
 * continuous timeline is not the file's clock, and only a full scan gives it.
 */
async function clockJumps(size: number, probeAt: (from: number) => Promise<PesStart | undefined>): Promise<boolean> {
  const last = Math.max(0, size - 2 * PACKET);
  const offsets = [...new Set(Array.from({ length: CLOCK_PROBES + 1 }, (_, i) => Math.floor((last * i) / CLOCK_PROBES / PACKET) * PACKET))];
  const found = await Promise.all(offsets.map(probeAt));
  const known = found.flatMap((pes, i) => (pes === undefined ? [] : [{ pes, offset: offsets[i]! }]));
  const steps = known.slice(1).map(({ pes, offset }, i) => ({ step: pes.dts - known[i]!.pes.dts, from: known[i]!.offset, to: offset }));
  if (steps.some(({ step }) => step < -BACKWARDS_SECONDS)) return true;
  const median = steps.map(({ step }) => step).sort((a, b) => a - b)[steps.length >> 1] ?? 0;
  for (const { step, from, to } of steps) {
    if (step > DTS_JUMP_SECONDS + UNEVEN_STEP * median && await jumpsBetween(probeAt, from, to)) return true;
  }
  return false;
}

/**
 * Whether two consecutive video PES starts between bytes `from` and `to` (packet boundaries)
 * are more than a jump's threshold apart in decode time: a clock that jumps, not a stretch
 * of few bytes a second. Bisects the bytes towards each half that spans more than the
 * threshold, so a gradual stretch answers in a probe or two and a jump in about log2 of
 * the packets between.
 */
async function jumpsBetween(probeAt: (from: number) => Promise<PesStart | undefined>, from: number, to: number): Promise<boolean> {
  const [first, last] = await Promise.all([probeAt(from), probeAt(to)]);
  if (first === undefined || last === undefined || last.dts - first.dts <= DTS_JUMP_SECONDS) return false;
  if (to - from <= PACKET) return true;
  const middle = from + Math.floor((to - from) / PACKET / 2) * PACKET;
  const inside = await probeAt(middle);
  // No PES starts from the middle to `to`'s: everything between lies in the first half.
  if (inside === undefined || inside.offset >= last.offset) return jumpsBetween(probeAt, from, middle);
  return (await jumpsBetween(probeAt, from, middle)) || jumpsBetween(probeAt, middle, to);
}

/** The first video PES start at or after byte `from` (a packet boundary), within PROBE_BYTES; each offset read once. */
function pesProber(source: ByteSource, stream: StreamState, probes = new Map<number, Promise<PesStart | undefined>>()): (from: number) => Promise<PesStart | undefined> {
  return (from) => {
    let found = probes.get(from);
    if (found === undefined) {
      found = (async () => {
        let pes: PesStart | undefined;
        // A probe may start inside a packet (after damage shifted the cadence): not damage to report.
        const scanner = new PesScanner({ ...stream, damage: [] }, (start) => { pes = start; return false; });
        if (await scanFrom(source, from, scanner, PROBE_STEP_BYTES, Math.min(from + PROBE_BYTES, source.size)) === undefined) throw new NotBisectable();
        return pes;
      })();
      probes.set(from, found);
    }
    return found;
  };
}

/**
 * The whole-file index of an MPEG-TS whose clock jumps (files joined with `cat`), its times
 * on ffmpeg's continuous timeline; undefined when spread probes (about 1.2 MB read) see no
 * jump or this is not a TS this index reads. The probe takes the file's length from it.
 */
export async function readJumpedMpegTsIndex(source: ByteSource): Promise<VideoIndex | undefined> {
  if (!looksLikeTs(await source.read(0, PACKET * 4))) return undefined;
  const stream: StreamState = { codec: 'h264', damage: [] };
  if (await scanFrom(source, 0, new PesScanner(stream, () => false), SCAN_BYTES) === undefined || stream.videoPid === undefined) return undefined;
  try {
    if (!(await clockJumps(source.size, pesProber(source, stream)))) return undefined;
  } catch (error) {
    if (error instanceof NotBisectable) return undefined;
    throw error;
  }
  return readMpegTsIndex(source);
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
    let found: number | undefined;
    // Read a little past `to` so a PES starting just before it is classified by its first slice.
    const scanner = new PesScanner({ ...stream, damage: [] }, (pes) => {
      if (pes.offset < to && pes.key && pes.pts <= time) found = pes.offset;
      return pes.offset < to;
    });
    if (await scanFrom(source, from, scanner, to - from + LOOKAHEAD_BYTES, Math.min(source.size, to + LOOKAHEAD_BYTES)) === undefined) throw new NotBisectable();
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
  const outcome = await scanFrom(source, offset, new PesScanner({ ...stream }, (pes) => {
    if (pes.dts < lastDts - BACKWARDS_SECONDS || (lastDts > -Infinity && pes.dts > lastDts + DTS_JUMP_SECONDS)) throw new NotBisectable();
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
  }), chunkBytes);
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

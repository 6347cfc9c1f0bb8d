/**
 * Reading an MPEG-TS around the times a run wants: bisection on the decode times of PES
 * starts at grid points, a scan back to each time's keyframe and forward through its GOP,
 * and the spread probes that tell a clock that jumps (where only a full scan gives
 * ffmpeg's continuous timeline) from a stretch of few bytes a second.
 */
import pLimit from 'p-limit';
import type { ByteSource } from '../source/byte-source.js';
import { flattenRuns } from '../index/video-index.js';
import { PACKET } from './ts-packets.js';
import { DTS_JUMP_SECONDS } from './ts-timeline.js';
import { PesScanner, scanFrom, type PesStart, type StreamState } from './ts-pes.js';
import { MAX_REORDER_FRAMES } from '../codec/reorder.js';

export interface TsFrames {
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
/**
 * ...read this much at a time: usually the first read finds one. Not more, nor growing:
 * the client's probe makes 33 of these over S3, and the range relay answers a read this
 * small with just its bytes (a growing read took the 30-minute TS's client share from
 * 0.499 % to 0.657 %).
 */
const PROBE_STEP_BYTES = PACKET * 192;
/** Reads while scanning around a time: a few range requests a GOP. */
export const SCAN_BYTES = PACKET * 2_048;
const LOOKUPS_AT_ONCE = 16;
/** A decode time this much below an earlier one is a clock that went back: bisection cannot work, so the whole file is scanned. */
const BACKWARDS_SECONDS = 1;

export class NotBisectable extends Error {}

/**
 * The frames that answer `times`, as readDemuxedIndex reads Matroska around them: for each
 * time, from the last keyframe shown at or before it through the next keyframe and its
 * leading pictures. The keyframe is found by bisecting on the decode times of PES starts
 * at ~1 MB grid points, then scanning forward from there (one grid step back at a time
 * until a keyframe at or before the time turns up). Undefined when the clock goes back
 * (a looped capture): then only a full scan orders the frames as ffmpeg does.
 */
export async function framesAround(source: ByteSource, stream: StreamState, times: readonly number[], clockContinuous = false): Promise<TsFrames | undefined> {
  const probes = new Map<number, Promise<PesStart | undefined>>();
  const probeAt = pesProber(source, stream, probes);
  // The last PES start: a few frames from the end.
  const lastPacket = Math.max(0, Math.floor((source.size - 4 * PROBE_STEP_BYTES) / PACKET) * PACKET);
  const [head, tail] = await Promise.all([probeAt(0), probeAt(lastPacket)]);
  if (head !== undefined && tail !== undefined && tail.dts < head.dts - BACKWARDS_SECONDS) return undefined;
  // The same probes on the same bytes give the same answer: skipped when the client's probe read them.
  if (!clockContinuous && await clockJumps(source.size, probeAt)) return undefined;
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
  const runs: Run[] = [];
  const covered = (time: number): boolean => runs.some((run) => run[0]!.key && run[0]!.pts <= time && time < run[ANSWERS_BEFORE]!);
  /**
   * Where the frames decoded about `time` lie, between the probes of grid points `low` and
   * the one after (the bytes between grow about evenly with time), and a little further:
   * how far the scan forward from `low` reads, in one request.
   */
  const forwardEnd = async (low: number, time: number): Promise<number | undefined> => {
    if (low + 1 >= points) return undefined;
    const [from, to] = await Promise.all([probe(low), probe(low + 1)]);
    if (from === undefined || to === undefined || !(to.dts > from.dts) || to.offset <= from.offset) return undefined;
    const cell = to.offset - from.offset;
    const at = from.offset + ((time - from.dts) / (to.dts - from.dts)) * cell;
    return Math.min(to.offset, Math.round(at + FORWARD_EXTRA_SHARE * cell)) + LOOKAHEAD_BYTES;
  };
  const aroundOne = async (time: number): Promise<void> => {
    if (covered(time)) return;
    const low = await bisect(time);
    const key = await keyBefore(source, stream, low * grid, time, grid, await forwardEnd(low, time));
    const run = await runFrom(source, stream, key ?? 0, time);
    if (run === 'no keyframe') throw new NotBisectable();
    if (run.length > 0) runs.push(run);
  };
  try {
    const limit = pLimit(LOOKUPS_AT_ONCE);
    await Promise.all([...new Set(times)].sort((a, b) => a - b).map((time) => limit(() => aroundOne(time))));
    const probed = (await Promise.all([...probes].sort(([a], [b]) => a - b).map(([, pes]) => pes))).filter((pes) => pes !== undefined);
    if (probed.some((pes, i) => i > 0 && pes.dts < probed[i - 1]!.dts - BACKWARDS_SECONDS)) return undefined;
  } catch (error) {
    if (error instanceof NotBisectable) return undefined;
    throw error;
  }
  // Each run holds every video PES start from its first to its end, so a run that starts before the end of the
  // run before it (from the same keyframe, or the next one that run reached) continues it.
  runs.sort((a, b) => a[0]!.offset - b[0]!.offset);
  const joined: PesStart[][] = [];
  const ends: number[] = [];
  for (const run of runs) {
    const end = runEnd(run, source.size);
    const last = joined.at(-1);
    if (last === undefined || run[0]!.offset >= ends.at(-1)!) {
      joined.push([...run]);
      ends.push(end);
      continue;
    }
    const lastOffset = last.at(-1)!.offset;
    for (const pes of run) if (pes.offset > lastOffset) last.push(pes);
    ends[ends.length - 1] = Math.max(ends.at(-1)!, end);
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
export async function clockJumps(size: number, probeAt: (from: number) => Promise<PesStart | undefined>): Promise<boolean> {
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
export function pesProber(source: ByteSource, stream: StreamState, probes = new Map<number, Promise<PesStart | undefined>>()): (from: number) => Promise<PesStart | undefined> {
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

/** Looking back further than this for a keyframe gives up on reading around times. */
const MAX_KEY_SEARCH_BYTES = 32 * 1024 * 1024;
/**
 * Scans forward from a known place read this much at a time: the bytes wanted end a few
 * frames past a time, and what a read takes past them is read for nothing.
 */
const FORWARD_CHUNK_BYTES = PACKET * 348;
/** The forward scan's first request goes this share of a grid step past where the time's frames should lie. */
const FORWARD_EXTRA_SHARE = 0.1;

/**
 * The offset of the last keyframe shown at or before `time`, from `gridPoint` (a packet
 * boundary whose first frame decodes at or before the time): forward from it to the first
 * frame decoded after the time (a keyframe shown at or before the time decodes before
 * it), then back from it half a grid step (`gridBytes`) at a time; undefined when there is
 * none (decode from the start). Reading back in small steps keeps what is read before the
 * keyframe small; the forward scan reads nothing past the time.
 */
async function keyBefore(source: ByteSource, stream: StreamState, gridPoint: number, time: number, gridBytes: number, forwardEnd?: number): Promise<number | undefined> {
  // The scan's first bytes in one request, not a chain of small ones (where each read is a round trip).
  if (forwardEnd !== undefined && forwardEnd > gridPoint) source.readAhead?.(gridPoint, forwardEnd);
  let found: number | undefined;
  const forward = new PesScanner({ ...stream, damage: [] }, (pes) => {
    if (pes.dts > time) return false;
    if (pes.key && pes.pts <= time) found = pes.offset;
    return true;
  });
  if (await scanFrom(source, gridPoint, forward, FORWARD_CHUNK_BYTES) === undefined) throw new NotBisectable();
  if (found !== undefined) return found;
  const stepBytes = Math.max(MIN_GRID_BYTES, Math.floor(gridBytes / 2 / PACKET) * PACKET);
  for (let to = gridPoint; to > 0;) {
    // A stream whose muxer flags no keyframes (or GOPs this long) would be read back to its start for every time: one pass instead.
    if (gridPoint - to > MAX_KEY_SEARCH_BYTES) throw new NotBisectable();
    const from = Math.max(0, to - stepBytes);
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
/** The times a run answers: from its keyframe's up to (not including) this one. */
const ANSWERS_BEFORE = Symbol('answersBefore');
type Run = PesStart[] & { [RUN_END]?: number; [ANSWERS_BEFORE]?: number };
const runEnd = (run: Run, size: number): number => run[RUN_END] ?? size;
/**
 * A frame counts as shown after a time when it is shown this much after it: beyond the
 * half-millisecond both ways the frame choice allows (frame-choice.ts), so a frame it
 * could still choose is never counted.
 */
const AFTER_SECONDS = 0.001;

/**
 * From `offset`, the frames from the last keyframe shown at or before `time` (in decode
 * order, before the first keyframe after it) up to the point where every frame still to
 * come is shown after the time's frame: the next keyframe's leading pictures read, or
 * one more frame shown after the time read than the stream reorders (at most that many
 * frames come before any frame in decode order and after it in output order, so no later
 * frame can be the one shown at the time, nor a keyframe shown before it). The depth is
 * the one in the SPS the start keyframe carries (a stream spliced from two encodes
 * changes it there), raised by any keyframe after it; a keyframe without its SPS leaves
 * it at the most a stream can reorder, 16: the file's first SPS may not be the one in force.
 * 'no keyframe' when none at or before the time lies between `offset` and the next one.
 */
async function runFrom(source: ByteSource, stream: StreamState, offset: number, time: number): Promise<Run | 'no keyframe'> {
  const seen: PesStart[] = [];
  let start = -1;
  let next: PesStart | undefined;
  let stop: PesStart | undefined;
  let lastDts = -Infinity;
  let missed = false;
  let shownAfter = 0;
  let leadingRead = false;
  // The reordering depth of the pictures from the start keyframe on, from the SPS it carries; keyframes after it may raise it.
  let reorder = MAX_REORDER_FRAMES;
  const outcome = await scanFrom(source, offset, new PesScanner({ ...stream }, (pes) => {
    if (pes.dts < lastDts - BACKWARDS_SECONDS || (lastDts > -Infinity && pes.dts > lastDts + DTS_JUMP_SECONDS)) throw new NotBisectable();
    lastDts = Math.max(lastDts, pes.dts);
    leadingRead = next !== undefined && pes.pts >= next.pts;
    if (leadingRead || (start >= 0 && shownAfter > reorder)) {
      stop = pes;
      return false;
    }
    if (next === undefined && pes.key && pes.pts <= time) {
      start = seen.length;
      reorder = pes.reorder ?? MAX_REORDER_FRAMES;
    } else if (pes.key) {
      if (next === undefined && start < 0 && offset > 0) {
        // Started after the keyframe this time decodes from: step back.
        missed = true;
        return false;
      }
      next ??= pes;
      reorder = Math.max(reorder, pes.reorder ?? reorder);
    }
    seen.push(pes);
    if (pes.pts > time + AFTER_SECONDS) shownAfter += 1;
    return true;
  }, { reorder: true }), FORWARD_CHUNK_BYTES);
  if (outcome === undefined) throw new NotBisectable();
  if (missed || (start < 0 && offset > 0)) return 'no keyframe';
  start = Math.max(0, start);
  const run: Run = seen.slice(start);
  if (stop !== undefined) run[RUN_END] = (stop as PesStart).offset;
  run[ANSWERS_BEFORE] = answersBefore(run, leadingRead ? next : undefined, reorder);
  return run;
}

/**
 * The time up to which a run answers every time from its keyframe's on: the end of the
 * file's, all of them; the next keyframe's, when its leading pictures were read; else
 * while more than `reorder` of its frames are shown after the time.
 */
function answersBefore(run: Run, nextKey: PesStart | undefined, reorder: number): number {
  if (run[RUN_END] === undefined) return Infinity;
  const shown = run.map((pes) => pes.pts).sort((a, b) => b - a);
  const byReorder = shown.length > reorder ? shown[reorder]! - AFTER_SECONDS : -Infinity;
  return Math.max(byReorder, nextKey?.pts ?? -Infinity);
}

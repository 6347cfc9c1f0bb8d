/**
 * framescore's own Matroska/WebM index, from block headers: each of the video track's
 * blocks gives its frame's offset, size, time and key flag, and the frames are then
 * read by byte range, as from an MP4's sample table. Given the times a run wants, only
 * the blocks around them are walked: from the keyframe the Cues point to (the block
 * itself where the muxer wrote its place in the cluster, as ffmpeg and mkvmerge do) to
 * a few frames past each time, reading the block headers and skipping the frames. A
 * cluster is never read whole, so 5-second clusters cost no more than 1-second ones.
 * Without Cues, or for dense times, one walk over every block header reads the file
 * in large windows. Codec facts come from mediabunny's reading of the file's head;
 * files this walk cannot read (laced video, damage) go to mediabunny's demuxer.
 */
import pLimit from 'p-limit';
import type { ByteSource } from '../source/byte-source.js';
import { reorderDepth, spsReorderDepth } from '../codec/reorder.js';
import { inBandSps } from '../codec/nal-units.js';
import { aroundNote, flattenRuns, shownByTime, type IndexCodec, type IndexReading, type IndexWire, type VideoIndex } from '../index/video-index.js';
import { segmentFromBytes, type CodedSegment } from '../index/segment.js';
import { WindowReader } from './ebml.js';
import { BlockWalk, MatroskaWalkError, type BlockFrame } from './block-walk.js';
import { readMatroskaLayout, type CuePoint, type MatroskaLayout } from './matroska-layout.js';
import { matroskaTrackFacts, type MatroskaTrackFacts } from './matroska-index.js';

/**
 * A frame counts as shown after a time when it is shown this much after it: beyond the
 * half-millisecond both ways the frame choice allows (frame-choice.ts).
 */
const AFTER_SECONDS = 0.001;
/** A walk's first read goes this share of its GOP past its last time (see bytesAhead). */
const WALK_SHARE_EXTRA = 0.15;
/** ...and is not made when it would be larger than this (cues far apart). */
const MAX_AHEAD_BYTES = 8 * 1024 * 1024;
/** Walks from different cues at once: each is a chain of small reads, so over S3 or HTTPS they overlap their waits. */
const WALKS_AT_ONCE = 16;
/** Around times: one small read per block header. A pass: large reads through the file. */
const SPARSE_WINDOW_BYTES = 4 * 1024;
const PASS_WINDOW_BYTES = 1024 * 1024;
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

export async function readMatroskaIndex(source: ByteSource, around?: readonly number[]): Promise<IndexReading> {
  const facts = await matroskaTrackFacts(source);
  if (typeof facts === 'string') return { unsupported: facts };
  const sparse = around !== undefined && around.length > 0;
  const reader = new WindowReader(source, SPARSE_WINDOW_BYTES);
  try {
    const layout = await readMatroskaLayout(reader, facts.trackNumber);
    if (typeof layout === 'string') return { unsupported: layout };
    const clock = new TickClock(layout.timestampScale);
    const walked = sparse && layout.cues.length > 0
      ? await framesAround(source, facts, layout, clock, around)
      : { runs: [await framesFrom(await BlockWalk.at(new WindowReader(source, PASS_WINDOW_BYTES), facts.trackNumber, layout.segmentEnd, layout.firstCluster))], partial: false };
    const { items, runs } = flattenRuns(walked.runs);
    if (items.length === 0) return { unsupported: 'no frames' };
    return { index: new MatroskaIndex(source, facts, items, walked.partial ? runs : undefined, clock) };
  } catch (error) {
    if (error instanceof MatroskaWalkError) return { unsupported: error.message };
    throw error;
  }
}

/** Whether the file has Cues for its video track (the SeekHead, Info and Cues: small reads), so times can be read around. */
export async function hasVideoCues(source: ByteSource): Promise<boolean> {
  const facts = await matroskaTrackFacts(source);
  if (typeof facts === 'string') return false;
  try {
    const layout = await readMatroskaLayout(new WindowReader(source, SPARSE_WINDOW_BYTES), facts.trackNumber);
    return typeof layout !== 'string' && layout.cues.length > 0;
  } catch (error) {
    if (error instanceof MatroskaWalkError) return false;
    throw error;
  }
}

/** Ticks to seconds as mediabunny and ffmpeg give them, to the microsecond. */
class TickClock {
  private readonly perSecond: number;

  constructor(timestampScale: number) {
    this.perSecond = 1e9 / timestampScale;
  }

  seconds(ticks: number): number {
    return Math.round((ticks / this.perSecond) * 1e6) / 1e6;
  }
}

async function framesFrom(walk: BlockWalk): Promise<BlockFrame[]> {
  const frames: BlockFrame[] = [];
  for (let frame = await walk.next(); frame !== undefined; frame = await walk.next()) frames.push(frame);
  return frames;
}

/**
 * For each time, the frames from the keyframe of the last cue at or before it until
 * every frame still to come is shown after the time's frame (see walkPast). Times under
 * one cue share a walk; the walks of different cues run at once (each a chain of small
 * reads), and a walk that ran on into the next cue's frames is joined with that one's.
 */
async function framesAround(source: ByteSource, facts: MatroskaTrackFacts, layout: MatroskaLayout, clock: TickClock, around: readonly number[]): Promise<{ runs: BlockFrame[][]; partial: boolean }> {
  const track = facts.trackNumber;
  const recorded = reorderDepth(facts.codec, facts.decoderConfig);
  const byCue = new Map<CuePoint | undefined, number[]>();
  for (const time of [...new Set(around)].sort((a, b) => a - b)) {
    const cue = cueAtOrBefore(layout.cues, time, clock);
    byCue.set(cue, [...(byCue.get(cue) ?? []), time]);
  }
  const limit = pLimit(WALKS_AT_ONCE);
  // One walk that fails fails the index: the others stop at their next block.
  let failed = false;
  const walked = await Promise.all([...byCue].map(([cue, times]) => limit(async () => {
    if (failed) return [];
    const ahead = cue === undefined || source.readAhead === undefined ? undefined : bytesAhead(layout.cues, cue, times.at(-1)!, clock);
    if (ahead !== undefined) source.readAhead!(ahead.from, ahead.to);
    const reader = new WindowReader(source, SPARSE_WINDOW_BYTES);
    const frames: BlockFrame[] = [];
    try {
      const walk = cue === undefined
        ? await BlockWalk.at(reader, track, layout.segmentEnd, layout.firstCluster)
        : await BlockWalk.at(reader, track, layout.segmentEnd, cue.cluster, cue.relative);
      const first = await walk.next();
      if (first === undefined) return frames;
      frames.push(first);
      const reorder = await walkReorder(reader, first, facts, recorded);
      for (const time of times) await walkPast(frames, walk, time, clock, reorder, () => failed);
    } catch (error) {
      failed = true;
      throw error;
    }
    return frames;
  })));
  // Every walk lists each block of the track from its first on: one that starts at or before the last block of the walk before continues it.
  const runs: BlockFrame[][] = [];
  for (const frames of walked.filter((run) => run.length > 0).sort((a, b) => a[0]!.offset - b[0]!.offset)) {
    const last = runs.at(-1);
    const lastOffset = last?.at(-1)!.offset ?? -1;
    if (last === undefined || frames[0]!.offset > lastOffset) runs.push(frames);
    else for (const frame of frames) if (frame.offset > lastOffset) last.push(frame);
  }
  return { runs, partial: true };
}

/**
 * The bytes a walk from `cue` to `last` (its last time) will cross, estimated from where
 * the next cue lies: that share of the way by time, and WALK_SHARE_EXTRA more (a GOP's
 * keyframe, first, is its largest frame). Read ahead in one request (by a source where each
 * read is a round trip: the function's), they replace a walk's chain of small reads (a
 * block's header each) with one or two. Undefined after the last cue, or when the share
 * is too large to guess.
 */
function bytesAhead(cues: readonly CuePoint[], cue: CuePoint, last: number, clock: TickClock): { from: number; to: number } | undefined {
  const next = cues[cues.indexOf(cue) + 1];
  if (next === undefined) return undefined;
  const from = cue.cluster;
  const until = next.cluster + (next.relative ?? 0);
  const seconds = clock.seconds(next.time) - clock.seconds(cue.time);
  if (!(seconds > 0) || until <= from) return undefined;
  const share = Math.min(1, (last - clock.seconds(cue.time)) / seconds + WALK_SHARE_EXTRA);
  const to = from + Math.round((until - from) * share);
  return to - from > MAX_AHEAD_BYTES ? undefined : { from, to };
}

/** Where an SPS in band is looked for: the first bytes of the keyframe a walk starts from. */
const IN_BAND_SPS_BYTES = 4 * 1024;

/**
 * How deep the frames a walk crosses reorder: what the SPS in band at its keyframe says
 * (the one in force), else the track's codec record's.
 */
async function walkReorder(reader: WindowReader, first: BlockFrame, facts: MatroskaTrackFacts, recorded: number): Promise<number> {
  if (facts.codec !== 'h264' && facts.codec !== 'hevc') return recorded;
  const sps = inBandSps(await reader.peek(first.offset, Math.min(first.size, IN_BAND_SPS_BYTES)), facts.nalLengthSize, facts.codec);
  return sps === undefined ? recorded : spsReorderDepth(facts.codec, sps);
}

function cueAtOrBefore(cues: readonly CuePoint[], time: number, clock: TickClock): CuePoint | undefined {
  let low = 0;
  let high = cues.length - 1;
  let found: CuePoint | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (clock.seconds(cues[middle]!.time) <= time) {
      found = cues[middle];
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

/**
 * Walks on until more than `reorder` frames shown after `time` are read (or the file
 * ends): the stream's reordering depth bounds how many frames come before any frame in
 * decode order and after it in output order, so no frame still to come can be the one
 * shown at the time.
 */
async function walkPast(frames: BlockFrame[], walk: BlockWalk, time: number, clock: TickClock, reorder: number, halted: () => boolean): Promise<void> {
  let after = frames.filter((frame) => clock.seconds(frame.ticks) > time + AFTER_SECONDS).length;
  while (after <= reorder && !halted()) {
    const frame = await walk.next();
    if (frame === undefined) return;
    frames.push(frame);
    if (clock.seconds(frame.ticks) > time + AFTER_SECONDS) after += 1;
  }
}

export class MatroskaIndex implements VideoIndex {
  readonly container: string;
  readonly codec: IndexCodec;
  readonly decoderConfig: Buffer;
  readonly nalLengthSize: number;
  readonly width: number;
  readonly height: number;
  readonly sampleCount: number;
  readonly partial: string | undefined;
  readonly times: Float64Array;
  readonly keyframes: Uint8Array;
  readonly shown: Uint32Array;
  readonly offsets: Float64Array;
  readonly sizes: Uint32Array;
  readonly wire: IndexWire;

  constructor(private readonly source: ByteSource, facts: MatroskaTrackFacts, frames: readonly BlockFrame[], private readonly runs: Uint32Array | undefined, clock: TickClock) {
    ({ container: this.container, codec: this.codec, decoderConfig: this.decoderConfig, nalLengthSize: this.nalLengthSize, width: this.width, height: this.height } = facts);
    this.sampleCount = frames.length;
    this.times = Float64Array.from(frames, (frame) => clock.seconds(frame.ticks));
    this.keyframes = Uint8Array.from(frames, (frame) => (frame.key ? 1 : 0));
    this.shown = shownByTime(this.times);
    this.offsets = Float64Array.from(frames, (frame) => frame.offset);
    this.sizes = Uint32Array.from(frames, (frame) => frame.size);
    this.partial = runs === undefined ? undefined : aroundNote(runs[runs.length - 1]! + 1);
    this.wire = { container: 'matroska', nalLengthSize: this.nalLengthSize };
  }

  /** Where frames first..last lie (decode order), for the function's decode jobs; a string says why they cannot travel as one. */
  frameSpans(first: number, last: number): { offsets: number[]; sizes: number[] } | string {
    if (this.runs !== undefined && this.runs[first] !== this.runs[last]) return 'its keyframe was not read with it';
    const offsets = Array.from(this.offsets.subarray(first, last + 1));
    const sizes = Array.from(this.sizes.subarray(first, last + 1));
    if (offsets.at(-1)! + sizes.at(-1)! - offsets[0]! > MAX_SEGMENT_BYTES) return 'its group of pictures is too large to read at once';
    return { offsets, sizes };
  }

  async readFrames(start: number, targets: readonly number[]): Promise<CodedSegment | string> {
    const spans = this.frameSpans(start, Math.max(...targets));
    if (typeof spans === 'string') return spans;
    const from = spans.offsets[0]!;
    const to = spans.offsets.at(-1)! + spans.sizes.at(-1)!;
    if (to > this.source.size) return 'its frames lie past the end of the file (truncated?)';
    const bytes = await this.source.read(from, to - from);
    if (bytes.length < to - from) return 'the file ended early';
    return segmentFromBytes(bytes, from, this, start, targets);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

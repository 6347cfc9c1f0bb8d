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
import type { ByteSource } from '../source/byte-source.js';
import { aroundNote, flattenRuns, shownByTime, type IndexCodec, type IndexReading, type IndexWire, type VideoIndex } from '../index/video-index.js';
import { segmentFromBytes, type CodedSegment } from '../index/segment.js';
import { WindowReader } from './ebml.js';
import { BlockWalk, MatroskaWalkError, type BlockFrame } from './block-walk.js';
import { readMatroskaLayout, type CuePoint, type MatroskaLayout } from './matroska-layout.js';
import { matroskaTrackFacts, type MatroskaTrackFacts } from './matroska-index.js';

/**
 * Frames walked past the first one shown at or after a time: a frame coded later but
 * shown earlier lies within the decoder's reordering depth (16 at most in H.264 and HEVC).
 */
const REORDER_FRAMES = 16;
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
      ? await framesAround(reader, facts.trackNumber, layout, clock, around)
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
 * For each time, the frames from the keyframe of the last cue at or before it to
 * REORDER_FRAMES past the first frame shown at or after it. A time whose cue the walk
 * before it has already reached continues that walk (one run); else a run starts there.
 */
async function framesAround(reader: WindowReader, track: number, layout: MatroskaLayout, clock: TickClock, around: readonly number[]): Promise<{ runs: BlockFrame[][]; partial: boolean }> {
  const runs: Array<{ frames: BlockFrame[]; walk: BlockWalk }> = [];
  for (const time of [...new Set(around)].sort((a, b) => a - b)) {
    const cue = cueAtOrBefore(layout.cues, time, clock);
    const position = cue === undefined ? layout.firstCluster : cue.cluster + (cue.relative ?? 0);
    let run = runs.at(-1);
    if (run === undefined || run.walk.position < position) {
      const walk = cue === undefined
        ? await BlockWalk.at(reader, track, layout.segmentEnd, layout.firstCluster)
        : await BlockWalk.at(reader, track, layout.segmentEnd, cue.cluster, cue.relative);
      run = { frames: [], walk };
      runs.push(run);
    }
    await walkPast(run, time, clock);
  }
  return { runs: runs.map((run) => run.frames).filter((frames) => frames.length > 0), partial: true };
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

/** Walks on until REORDER_FRAMES frames follow the first one shown at or after `time` (or the file ends). */
async function walkPast(run: { frames: BlockFrame[]; walk: BlockWalk }, time: number, clock: TickClock): Promise<void> {
  let first = run.frames.findIndex((frame) => clock.seconds(frame.ticks) >= time);
  while (first < 0 || run.frames.length - 1 - first < REORDER_FRAMES) {
    const frame = await run.walk.next();
    if (frame === undefined) return;
    run.frames.push(frame);
    if (first < 0 && clock.seconds(frame.ticks) >= time) first = run.frames.length - 1;
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

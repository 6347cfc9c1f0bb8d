/**
 * One walk of a group of pictures for a long-lived ffmpeg: the keyframe decoding
 * starts from, every reference frame after it, and the targets (every requested frame
 * that decodes from that keyframe, so no GOP prefix is decoded twice). Frames nothing
 * refers to are left out (on a typical broadcast GOP that halves the decoding). Each fed
 * frame gets a synthetic timestamp that keeps decode and display order; only the
 * targets' are odd, so one select filter passes exactly the targets and each timestamp
 * names the request it answers.
 */
import { accessUnitFacts, type AccessUnitFacts } from '../codec/nal-units.js';
import type { ByteSource } from '../source/byte-source.js';
import type { Mp4VideoTrack } from '../mp4/video-track.js';
import type { CodedFrame, CodedSegment, IndexCodec } from './video-index.js';

export type { CodedFrame, CodedSegment } from './video-index.js';

/** Reading more than this at once for one sample means a strange file: give up on it. */
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

/**
 * Reads the frames needed to decode samples `targets` (decode indices, any order) from
 * keyframe `start`; a string says why it cannot. The segment's `targets` follow the
 * order of the `targets` given.
 */
export async function readSegment(source: ByteSource, track: Mp4VideoTrack, start: number, targets: number | readonly number[]): Promise<CodedSegment | string> {
  const wanted = typeof targets === 'number' ? [targets] : targets;
  const target = Math.max(...wanted);
  let from = Infinity;
  let to = 0;
  for (let sample = start; sample <= target; sample += 1) {
    from = Math.min(from, track.offsets[sample]!);
    to = Math.max(to, track.offsets[sample]! + track.sizes[sample]!);
  }
  if (to > source.size) return 'its frames lie past the end of the file (truncated?)';
  if (to - from > MAX_SEGMENT_BYTES) return 'its group of pictures is too large to read at once';
  const bytes = await source.read(from, to - from);
  if (bytes.length < to - from) return 'the file ended early';
  return segmentFromBytes(bytes, from, track, start, wanted);
}

/**
 * The segment from frames a demuxer read one by one (Matroska, MPEG-TS packets,
 * length-prefixed): laid out as one buffer, so the MP4 path's rules (non-reference
 * frames left out, open GOPs) apply unchanged.
 */
export function segmentFromFrames(
  frames: readonly Buffer[], start: number, track: Pick<Mp4VideoTrack, 'sampleCount' | 'times' | 'nalLengthSize'> & { readonly codec: IndexCodec }, targets: readonly number[],
): CodedSegment | string {
  const offsets = new Float64Array(track.sampleCount);
  const sizes = new Uint32Array(track.sampleCount);
  let offset = 0;
  frames.forEach((frame, i) => {
    offsets[start + i] = offset;
    sizes[start + i] = frame.length;
    offset += frame.length;
  });
  return segmentFromBytes(Buffer.concat(frames), 0, { offsets, sizes, times: track.times, nalLengthSize: track.nalLengthSize, codec: track.codec }, start, targets);
}

/** The segment from bytes already read (`bytes` starts at file offset `from` and covers samples start..max(targets)). */
export function segmentFromBytes(bytes: Buffer, from: number, track: Pick<Mp4VideoTrack, 'offsets' | 'sizes' | 'times' | 'nalLengthSize'> & { readonly codec: IndexCodec }, start: number, wanted: readonly number[]): CodedSegment | string {
  const target = Math.max(...wanted);
  if (wanted.some((sample) => sample < start)) return 'a target precedes its keyframe';
  const { codec } = track;
  if (codec === 'vp9') {
    // VP9: every frame from the keyframe on (its headers, not NAL types, say what refers to what).
    const frames: CodedFrame[] = [];
    for (let sample = start; sample <= target; sample += 1) {
      const offset = track.offsets[sample]! - from;
      frames.push({ data: bytes.subarray(offset, offset + track.sizes[sample]!), time: track.times[sample]!, keyframe: sample === start });
    }
    return { frames, targets: wanted.map((sample) => sample - start) };
  }
  const facts: AccessUnitFacts[] = [];
  for (let sample = start; sample <= target; sample += 1) {
    const offset = track.offsets[sample]! - from;
    const fact = accessUnitFacts(bytes.subarray(offset, offset + track.sizes[sample]!), track.nalLengthSize, codec);
    if (fact === undefined) return `damaged data (a frame that is not well-formed ${codec === 'hevc' ? 'HEVC' : 'H.264'})`;
    facts.push(fact);
  }
  // An open GOP's keyframe: its leading pictures (shown before it) refer to frames before it and
  // cannot be rebuilt; nothing shown after it refers to them. They are never targets here (the
  // chooser starts those from the keyframe before), so they are left out.
  const openGop = !facts[0]!.idr;
  const keyTime = track.times[start]!;
  // With HEVC temporal sub-layers, a picture marked non-reference may still serve a higher layer: keep all.
  const layered = facts.some((fact) => fact.temporalId > 0);
  const isTarget = new Set(wanted);
  const frames: CodedFrame[] = [];
  const positions = new Map<number, number>();
  for (let sample = start; sample <= target; sample += 1) {
    if (sample !== start && !isTarget.has(sample) && ((!facts[sample - start]!.reference && !layered) || (openGop && track.times[sample]! < keyTime))) continue;
    if (isTarget.has(sample)) positions.set(sample, frames.length);
    const offset = track.offsets[sample]! - from;
    frames.push({ data: bytes.subarray(offset, offset + track.sizes[sample]!), time: track.times[sample]!, keyframe: sample === start });
  }
  return { frames, targets: wanted.map((sample) => positions.get(sample)!), ...(openGop ? { openGop } : {}) };
}

/** Synthetic timestamps for one segment's frames, in decode order, and the target's. */
export interface SegmentTimes {
  readonly dts: readonly number[];
  readonly pts: readonly number[];
  /** The targets' presentation times, in the order of `segment.targets`. */
  readonly targetPts: readonly number[];
}

const STEP_MS = 2;

/**
 * Assigns increasing synthetic millisecond timestamps across the segments fed to one
 * decoder: decode order kept, display order kept within a segment, every segment shown
 * after the one before, and only the target odd.
 */
export class SegmentTimeline {
  private base = 0;

  assign(segment: CodedSegment): SegmentTimes {
    const { frames } = segment;
    const byTime = frames.map((_, index) => index).sort((a, b) => frames[a]!.time - frames[b]!.time);
    const rank = new Array<number>(frames.length);
    byTime.forEach((index, position) => { rank[index] = position; });
    // Display times must not precede decode times: delay every display time by the deepest reordering.
    let delay = 0;
    for (let index = 0; index < frames.length; index += 1) delay = Math.max(delay, index - rank[index]!);
    const dts = frames.map((_, index) => this.base + STEP_MS * index);
    const targets = new Set(segment.targets);
    const pts = frames.map((_, index) => this.base + STEP_MS * (rank[index]! + delay) + (targets.has(index) ? 1 : 0));
    this.base += STEP_MS * (frames.length + delay + 1);
    return { dts, pts, targetPts: segment.targets.map((index) => pts[index]!) };
  }
}

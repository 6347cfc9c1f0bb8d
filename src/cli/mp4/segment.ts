/**
 * One sample's worth of coded frames, packed as FLV tags for a long-lived ffmpeg:
 * the keyframe decoding starts from, every reference frame after it, and the target.
 * Frames nothing refers to are left out (on a typical broadcast GOP that halves the
 * decoding). Each fed frame gets a synthetic timestamp that keeps decode and display
 * order; only the target's is odd, so one select filter passes exactly the targets
 * and its timestamp names the request it answers.
 */
import { accessUnitFacts } from './h264.js';
import { flvFrame } from './flv.js';
import type { ByteSource } from './byte-source.js';
import type { Mp4VideoTrack } from './video-track.js';

export interface CodedFrame {
  readonly data: Buffer;
  readonly time: number;
  readonly keyframe: boolean;
}

export interface CodedSegment {
  /** Decode order, the first an IDR keyframe. */
  readonly frames: readonly CodedFrame[];
  /** Which of `frames` is the one asked for. */
  readonly target: number;
}

/** Reading more than this at once for one sample means a strange file: give up on it. */
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

/** Reads the frames needed to decode sample `target` from keyframe `start`; a string says why it cannot. */
export async function readSegment(source: ByteSource, track: Mp4VideoTrack, start: number, target: number): Promise<CodedSegment | string> {
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
  const frames: CodedFrame[] = [];
  let targetAt = -1;
  for (let sample = start; sample <= target; sample += 1) {
    const offset = track.offsets[sample]! - from;
    const data = bytes.subarray(offset, offset + track.sizes[sample]!);
    const facts = accessUnitFacts(data, track.nalLengthSize);
    if (facts === undefined) return `frame ${sample} is not well-formed H.264`;
    if (sample === start && !facts.idr) return 'its keyframe is not an IDR frame (open GOP)';
    if (sample !== start && sample !== target && !facts.reference) continue;
    if (sample === target) targetAt = frames.length;
    frames.push({ data, time: track.times[sample]!, keyframe: sample === start });
  }
  return { frames, target: targetAt };
}

export interface PackedSegment {
  readonly tags: Buffer;
  /** The target's synthetic presentation time, in the FLV's milliseconds. */
  readonly targetPts: number;
}

const STEP_MS = 2;

/** Assigns increasing synthetic timestamps across the segments fed to one decoder. */
export class FlvTimeline {
  private base = 0;

  pack(segment: CodedSegment): PackedSegment {
    const { frames } = segment;
    const byTime = frames.map((_, index) => index).sort((a, b) => frames[a]!.time - frames[b]!.time);
    const rank = new Array<number>(frames.length);
    byTime.forEach((index, position) => { rank[index] = position; });
    // Display times must not precede decode times: delay every display time by the deepest reordering.
    let delay = 0;
    for (let index = 0; index < frames.length; index += 1) delay = Math.max(delay, index - rank[index]!);
    const tags: Buffer[] = [];
    let targetPts = 0;
    frames.forEach((frame, index) => {
      const dts = this.base + STEP_MS * index;
      const pts = this.base + STEP_MS * (rank[index]! + delay) + (index === segment.target ? 1 : 0);
      if (index === segment.target) targetPts = pts;
      tags.push(flvFrame(dts, pts, frame.keyframe, frame.data));
    });
    this.base += STEP_MS * (frames.length + delay + 1);
    return { tags: Buffer.concat(tags), targetPts };
  }
}

/**
 * Which coded frames answer a requested time, and which must be decoded to get it.
 * Same rules as the per-frame seek: exact mode takes the first frame shown at or
 * after the time; keyframe mode takes the last keyframe at or before it.
 */
import type { VideoIndex } from './video-index.js';

/** Half a millisecond of slack, as the per-frame path's select filter allows. */
const SLACK_SECONDS = 0.0005;

export class FrameChooser {
  private readonly shownKeyframes: Uint32Array;

  constructor(private readonly track: Pick<VideoIndex, 'times' | 'keyframes' | 'shown'>) {
    this.shownKeyframes = track.shown.filter((sample) => track.keyframes[sample] === 1);
  }

  /** The decode index of the frame for `seconds` (on the stream's timeline), or undefined past the end. */
  target(seconds: number, keyframes: boolean): number | undefined {
    const { times } = this.track;
    if (keyframes) {
      const list = this.shownKeyframes;
      const after = firstIndexWhere(list.length, (i) => times[list[i]!]! > seconds + SLACK_SECONDS);
      return list[Math.max(0, after - 1)];
    }
    const list = this.track.shown;
    return list[firstIndexWhere(list.length, (i) => times[list[i]!]! >= seconds - SLACK_SECONDS)];
  }

  /**
   * The keyframe decoding starts from: the last one before the target in decode order
   * that is not shown after it (an open GOP's leading frames need the keyframe before).
   */
  start(target: number): number | undefined {
    const { keyframes, times } = this.track;
    for (let sample = target; sample >= 0; sample -= 1) {
      if (keyframes[sample] === 1 && times[sample]! <= times[target]!) return sample;
    }
    return undefined;
  }
}

/** Binary search: the first i in [0, length) where `test(i)` holds, given it holds for a suffix. */
function firstIndexWhere(length: number, test: (i: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (test(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}

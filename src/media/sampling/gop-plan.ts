/**
 * The pure half of indexed sampling: which coded frame answers each requested time,
 * and which requests decode from the same keyframe, so that each group of pictures is
 * read and walked once for all its targets. The local sampler and the function's decode
 * jobs are both made from this plan.
 */
import type { PlannedFrame } from '../../core/sampling-plan.js';
import { lateFrameError, type FrameExtractError } from '../decode/extract.js';
import type { FrameChooser } from '../index/frame-choice.js';
import type { Mp4VideoTrack } from '../mp4/video-track.js';

/** A requested frame that decodes from its group's keyframe. */
export interface GopMember {
  readonly planned: PlannedFrame;
  /** Decode index of the frame that answers it. */
  readonly sample: number;
  /** Its presentation time, seconds from the start of the video. */
  readonly time: number;
}

export interface GopGroup {
  /** Decode index of the keyframe decoding starts from. */
  readonly start: number;
  readonly members: readonly GopMember[];
}

export type GopWork =
  | { readonly group: GopGroup }
  /** The frame exists but is too far from the request (a gap in the file): it fails. */
  | { readonly late: FrameExtractError; readonly planned: PlannedFrame }
  /** This path cannot produce it: one seek per frame instead. */
  | { readonly fallback: string; readonly planned: PlannedFrame };

export interface GopPlanOptions {
  readonly startTime: number;
  readonly keyframes: boolean;
  readonly maxLateSeconds?: number | undefined;
  /** Targets in one walk at most: bounds the bytes read at once and lets lanes share the work. */
  readonly maxTargets?: number | undefined;
}

export const MAX_GROUP_TARGETS = 64;

export function planGops(plan: readonly PlannedFrame[], track: Pick<Mp4VideoTrack, 'times'>, chooser: FrameChooser, options: GopPlanOptions): GopWork[] {
  const { startTime, keyframes, maxLateSeconds } = options;
  const maxTargets = options.maxTargets ?? MAX_GROUP_TARGETS;
  const work: GopWork[] = [];
  let group: { start: number; members: GopMember[] } | undefined;
  for (const planned of plan) {
    const target = chooser.target(startTime + planned.requestedTime, keyframes);
    if (target === undefined) {
      work.push({ fallback: 'no frame at or after that time', planned });
      continue;
    }
    // Microseconds, as ffmpeg prints them: no binary-fraction noise in reports.
    const time = Math.max(0, Math.round((track.times[target]! - startTime) * 1e6) / 1e6);
    // The index's frame is what a full decode shows first at or after the time, however long
    // the gap before it; only keyframe mode, whose keyframe may lie far back, is checked.
    const late = keyframes ? lateFrameError(planned.requestedTime, time, keyframes, maxLateSeconds) : undefined;
    if (late) {
      work.push({ late, planned });
      continue;
    }
    const start = chooser.start(target);
    if (start === undefined) {
      work.push({ fallback: 'no keyframe before it', planned });
      continue;
    }
    if (group === undefined || group.start !== start || group.members.length >= maxTargets) {
      group = { start, members: [] };
      work.push({ group });
    }
    group.members.push({ planned, sample: target, time });
  }
  return work;
}

/** The distinct frames a group decodes to answer its members, in decode order. */
export function groupSamples(group: GopGroup): number[] {
  return [...new Set(group.members.map((member) => member.sample))].sort((a, b) => a - b);
}

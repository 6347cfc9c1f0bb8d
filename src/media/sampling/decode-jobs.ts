/**
 * Decode jobs for the function fleet (pure): from a video's index and the requested
 * frames, one job per group of pictures (its coded frames' byte ranges in decode order
 * and the targets in it) or, where the index cannot serve, the times for a per-frame
 * seek; then the jobs packed into invocations so the episode finishes soonest. Or, for a
 * container the function indexes itself, the plan cut into spans of consecutive times.
 */
import type { GopJob, SampleTrack, SeekTarget, SpanJob } from '../../core/contract-sample.js';
import type { PlannedFrame } from '../../core/sampling-plan.js';
import type { FrameExtractError } from '../decode/extract.js';
import { FrameChooser } from '../index/frame-choice.js';
import type { VideoIndex } from '../index/video-index.js';
import type { Mp4VideoTrack } from '../mp4/video-track.js';
import { planGops } from './gop-plan.js';

/** Where coded frames first..last lie in the file (decode order), or why they cannot travel as one job. */
export type FrameSpans = (first: number, last: number) => { readonly offsets: readonly number[]; readonly sizes: readonly number[] } | string;

/** What the planner needs of an index, whatever the container: the frames' times, the chooser over them, their byte ranges. */
export interface JobIndex {
  readonly times: Float64Array;
  readonly chooser: FrameChooser;
  readonly spans: FrameSpans;
}

/** An MP4/MOV track's spans: one sample each. */
export function mp4Spans(track: Pick<Mp4VideoTrack, 'offsets' | 'sizes'>): FrameSpans {
  const range = (array: ArrayLike<number>, first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, i) => array[first + i]!);
  return (first, last) => ({ offsets: range(track.offsets, first, last), sizes: range(track.sizes, first, last) });
}

/**
 * The decode-job index and wire track of any index the function can decode jobs from
 * (MP4/MOV, MPEG-TS, Matroska/WebM read by framescore's block walk); undefined sends the
 * frames to the function's per-frame seek.
 */
export function jobTrackOf(index: VideoIndex): { readonly index: JobIndex; readonly track: SampleTrack } | undefined {
  const { wire } = index;
  if (index.frameSpans === undefined || wire === undefined) return undefined;
  return {
    index: { times: index.times, chooser: new FrameChooser(index), spans: (first, last) => index.frameSpans!(first, last) },
    track: {
      ...(wire.container === 'mp4' ? {} : { container: wire.container }), ...(wire.pid === undefined ? {} : { pid: wire.pid }),
      codec: index.codec, config: index.decoderConfig.toString('base64'), width: index.width, height: index.height, nalLengthSize: wire.nalLengthSize,
    },
  };
}

export interface PlannedJobs {
  readonly gops: readonly GopJob[];
  readonly seeks: readonly SeekTarget[];
  /** Frames that fail before any decoding (their frame lies too far from the time asked for). */
  readonly late: ReadonlyArray<{ readonly planned: PlannedFrame; readonly error: FrameExtractError }>;
  /** Why frames go to the per-frame seek, and how many, for --verbose. */
  readonly seekReasons: ReadonlyMap<string, number>;
}

/** The id a frame travels under: its index in the plan. */
export const frameId = (planned: PlannedFrame): string => String(planned.index);

export function planDecodeJobs(
  plan: readonly PlannedFrame[], index: JobIndex | undefined, options: { startTime: number; keyframes: boolean; maxLateSeconds?: number | undefined },
): PlannedJobs {
  const seekReasons = new Map<string, number>();
  const seeks: SeekTarget[] = [];
  const seek = (planned: PlannedFrame, why: string): void => {
    seeks.push({ id: frameId(planned), requestedTime: planned.requestedTime });
    seekReasons.set(why, (seekReasons.get(why) ?? 0) + 1);
  };
  if (index === undefined) {
    for (const planned of plan) seek(planned, 'no index for this container');
    return { gops: [], seeks, late: [], seekReasons };
  }
  const { times, chooser } = index;
  const gops: GopJob[] = [];
  const late: Array<{ planned: PlannedFrame; error: FrameExtractError }> = [];
  for (const work of planGops(plan, { times }, chooser, options)) {
    if ('late' in work) late.push({ planned: work.planned, error: work.late });
    else if ('fallback' in work) seek(work.planned, work.fallback);
    else {
      const { start, members } = work.group;
      const last = Math.max(...members.map((member) => member.sample));
      const spans = index.spans(start, last);
      if (typeof spans === 'string') {
        for (const member of members) seek(member.planned, spans);
        continue;
      }
      gops.push({
        offsets: [...spans.offsets], sizes: [...spans.sizes], times: Array.from({ length: last - start + 1 }, (_, i) => times[start + i]!),
        targets: members.map((member) => ({ id: frameId(member.planned), at: member.sample - start, time: member.time })),
      });
    }
  }
  return { gops, seeks, late, seekReasons };
}

export interface Invocation {
  readonly gops: readonly GopJob[];
  readonly seeks: readonly SeekTarget[];
}

export interface PackingLimits {
  /** Invocations at once (--concurrency): more jobs than this share invocations. */
  readonly lanes: number;
  /** Frames one invocation may answer (the contract's limit, or fewer when thumbnails come back). */
  readonly maxTargets: number;
}

/**
 * Relative cost of the work in one invocation, in frames decoded: a GOP walk decodes
 * its frames up to its last target, each target is also scored (about two decodes'
 * worth of inference), and a per-frame seek costs a process start, a file open and on
 * average half a GOP.
 */
export const COST = { decodedFrame: 1, scoredFrame: 2, seek: 40 } as const;

export function jobCost(job: GopJob | SeekTarget): number {
  return 'offsets' in job ? job.offsets.length * COST.decodedFrame + job.targets.length * COST.scoredFrame : COST.seek + COST.scoredFrame;
}

/**
 * Longest processing time first: jobs sorted by cost, each to the least loaded of
 * min(lanes, jobs) invocations that still has room. That finishes all jobs within 4/3
 * of the best possible makespan on `lanes` parallel invocations, and fills a single
 * wave: more invocations than lanes would only queue behind the first ones.
 */
export function packInvocations(gops: readonly GopJob[], seeks: readonly SeekTarget[], limits: PackingLimits): Invocation[] {
  const jobs: Array<GopJob | SeekTarget> = [...gops, ...seeks].sort((a, b) => jobCost(b) - jobCost(a));
  if (jobs.length === 0) return [];
  const targets = (job: GopJob | SeekTarget): number => ('offsets' in job ? job.targets.length : 1);
  const totalTargets = jobs.reduce((sum, job) => sum + targets(job), 0);
  const count = Math.min(jobs.length, Math.max(limits.lanes, Math.ceil(totalTargets / limits.maxTargets)));
  const bins = Array.from({ length: count }, () => ({ load: 0, targets: 0, gops: [] as GopJob[], seeks: [] as SeekTarget[] }));
  for (const job of jobs) {
    let best: (typeof bins)[number] | undefined;
    for (const bin of bins) if (bin.targets + targets(job) <= limits.maxTargets && (best === undefined || bin.load < best.load)) best = bin;
    if (best === undefined) {
      best = { load: 0, targets: 0, gops: [], seeks: [] };
      bins.push(best);
    }
    best.load += jobCost(job);
    best.targets += targets(job);
    if ('offsets' in job) best.gops.push(job);
    else best.seeks.push(job);
  }
  return bins.filter((bin) => bin.targets > 0).map((bin) => ({ gops: bin.gops, seeks: bin.seeks }));
}

/**
 * The plan, ordered by time, cut into spans of consecutive targets for a function that
 * indexes the container itself: as many as packInvocations would make invocations (one
 * per lane, more when the frames exceed `maxTargets` each), of about equal size, one span
 * per invocation. A cut may fall inside a group of pictures: the next span then decodes
 * that GOP's frames up to its first target again (at most one GOP, about a second of
 * decoding at 25 fps, per span), and both spans read the bytes of that GOP's prefix.
 */
export function cutSpans(plan: readonly PlannedFrame[], limits: PackingLimits): SpanJob[] {
  const ordered = [...plan].sort((a, b) => a.requestedTime - b.requestedTime || a.index - b.index);
  const count = Math.min(ordered.length, Math.max(limits.lanes, Math.ceil(ordered.length / limits.maxTargets)));
  return Array.from({ length: count }, (_, i) => ({
    targets: ordered.slice(Math.floor((i * ordered.length) / count), Math.floor(((i + 1) * ordered.length) / count))
      .map((planned) => ({ id: frameId(planned), requestedTime: planned.requestedTime })),
  }));
}

/**
 * Span jobs, the function's side: the client sent only the times (it read no frame-level
 * index), so the function reads the object's index around them itself, with the same
 * readVideoIndex the CLI runs, and plans GOP walks with the same planner (jobTrackOf +
 * planDecodeJobs) as the client does for MP4. The index is read around the span's times
 * however dense they are: a span is a small part of the file, so a pass over the whole
 * file would read far more than the span.
 */
import type { GopJob, SampleRequest, SampleTrack, SeekTarget, SpanJob } from '../../core/contract-sample.js';
import type { PlannedFrame } from '../../core/sampling-plan.js';
import { readVideoIndex } from '../../media/formats.js';
import { jobTrackOf, planDecodeJobs, type PlannedJobs } from '../../media/sampling/decode-jobs.js';
import { ObjectReadError } from './object-reader.js';
import type { ObjectSource } from './object-source.js';

/** What one span becomes: GOP walks on its track, seeks, and frames that failed before any decoding. */
export interface SpanPlan {
  readonly track?: SampleTrack | undefined;
  readonly gops: readonly GopJob[];
  readonly seeks: readonly SeekTarget[];
  readonly failed: ReadonlyArray<{ readonly id: string; readonly code: string; readonly message: string }>;
}

/** Plans one span from the object's index read through `source` (the invocation's cached object source). */
export async function planSpan(span: SpanJob, source: ObjectSource, request: Pick<SampleRequest, 'video'>): Promise<SpanPlan> {
  const { startTime, keyframes, clockContinuous } = request.video;
  // The planner names frames by their index in the plan: here, the target's place in the span.
  const plan: PlannedFrame[] = span.targets.map((target, index) => ({ index, requestedTime: target.requestedTime }));
  const idOf = (planId: string): string => span.targets[Number(planId)]!.id;
  const seekAll = (): SpanPlan => ({ gops: [], seeks: span.targets, failed: [] });
  const times = plan.map((planned) => startTime + planned.requestedTime);
  let reading;
  try {
    // A TS the client found continuous: its clock check is not read again (see contract-sample.ts).
    await prefetchDenseSpan(source, times, clockContinuous);
    reading = await readVideoIndex(source, { times, duration: undefined, around: 'always', clockContinuous });
  } catch (error) {
    // The object could not be read (changed, deleted, denied): each frame fails with that cause.
    if (error instanceof ObjectReadError) return { gops: [], seeks: [], failed: span.targets.map((target) => ({ id: target.id, code: error.code, message: error.message })) };
    // Bytes no index reader could make sense of: the per-frame seek decides, as for a container without an index.
    return seekAll();
  }
  if (!('index' in reading)) return seekAll();
  try {
    const indexed = jobTrackOf(reading.index);
    if (indexed === undefined) return seekAll();
    return renamed(planDecodeJobs(plan, indexed.index, { startTime, keyframes }), idOf, indexed.track);
  } finally {
    await reading.index.close();
  }
}

/**
 * Times this close on average make a dense span: most of the bytes between its first and
 * last frame are walked or decoded (at `--every 1` with 2-second GOPs, all but the frames
 * after each GOP's last target).
 */
const DENSE_SECONDS_APART = 2;

/**
 * A dense span's bytes read ahead, in a few large GETs at once: the index walks around
 * each time (a Matroska header walk, an MPEG-TS scan) read them anyway, but block by block,
 * one GET after another. Where they lie comes from the index around the span's first and
 * last times (its blocks are then the full reading's too). Measured on the 30-minute
 * 1080p bench file, a 12-time span at one a second, with 10 ms a GET: the MKV span's index
 * read in 25 GETs and 228 ms instead of 71 and 692 ms, reading 9.3 MB instead of 8.5; the
 * TS span's in 72 GETs instead of 108 (its lookups already ran 8 at once: 354 vs 332 ms).
 */
async function prefetchDenseSpan(source: ObjectSource, times: readonly number[], clockContinuous: boolean | undefined): Promise<void> {
  const first = Math.min(...times);
  const last = Math.max(...times);
  if (times.length < 3 || (last - first) / (times.length - 1) > DENSE_SECONDS_APART) return;
  const ends = await readVideoIndex(source, { times: [first, last], duration: undefined, around: 'always', clockContinuous });
  if (!('index' in ends)) return;
  try {
    const head = ends.index.frameSpans?.(0, 0);
    const tail = ends.index.frameSpans?.(ends.index.sampleCount - 1, ends.index.sampleCount - 1);
    if (head === undefined || tail === undefined || typeof head === 'string' || typeof tail === 'string') return;
    await source.prefetch(head.offsets[0]!, tail.offsets[0]! + tail.sizes[0]!);
  } finally {
    await ends.index.close();
  }
}

/** The planner's jobs under the span's own target ids. */
function renamed(jobs: PlannedJobs, idOf: (planId: string) => string, track: SampleTrack): SpanPlan {
  return {
    track,
    gops: jobs.gops.map((gop) => ({ ...gop, targets: gop.targets.map((target) => ({ ...target, id: idOf(target.id) })) })),
    seeks: jobs.seeks.map((seek) => ({ ...seek, id: idOf(seek.id) })),
    failed: jobs.late.map(({ planned, error }) => ({ id: idOf(String(planned.index)), code: error.code, message: error.message })),
  };
}

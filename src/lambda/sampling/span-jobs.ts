/**
 * Span jobs, the function's side: the client sent only the times (it read no frame-level
 * index), so the function reads the object's index around them itself, with the same
 * readVideoIndex the CLI runs, and plans GOP walks with the same planner (jobTrackOf +
 * planDecodeJobs) as the client does for MP4. The index is read around the span's times
 * however dense they are: a span is a small part of the file, so a pass over the whole
 * file would read far more than the span. Nothing is read ahead of the index: a dense
 * span read whole (as it once was, in 1 MB GETs) takes each GOP's tail past its last
 * target, which no walk decodes (30-minute bench file, 12 times a second apart: 1.49×
 * the MP4's bytes for MKV and 1.75× for TS, against 1.06× and 1.30× read around the times
 * to the stream's reordering depth, `npm run bench -- function-sampling`).
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

/** The planner's jobs under the span's own target ids. */
function renamed(jobs: PlannedJobs, idOf: (planId: string) => string, track: SampleTrack): SpanPlan {
  return {
    track,
    gops: jobs.gops.map((gop) => ({ ...gop, targets: gop.targets.map((target) => ({ ...target, id: idOf(target.id) })) })),
    seeks: jobs.seeks.map((seek) => ({ ...seek, id: idOf(seek.id) })),
    failed: jobs.late.map(({ planned, error }) => ({ id: idOf(String(planned.index)), code: error.code, message: error.message })),
  };
}

/**
 * The fleet's combined executor: it samples AND scores in one invocation. For
 * an s3:// video the client reads only the file's index (through the range
 * relay), plans decode jobs, packs them into invocations, and each invocation
 * reads its own frames' bytes from S3, decodes and scores them. Results stream
 * back as invocations finish. The engine chooses it (executor.ts); the
 * answers pass the same checks as scored frames' (interpret.ts).
 */
import { CONTRACT_VERSION } from '../../core/contract.js';
import { parseSampleResponse, SAMPLE_KIND, type GopJob, type SampleRequest, type SampleResponse, type SampleTrack } from '../../core/contract-sample.js';
import type { FrameImage } from '../../core/image-decode.js';
import { failedFrame, type FramePosition, type FrameResult } from '../../core/results.js';
import type { PlannedFrame } from '../../core/sampling-plan.js';
import type { FitMode } from '../../core/preprocess.js';
import { fromWirePixels } from '../../core/wire-image.js';
import type { MediaInfo } from '../../media/probe.js';
import { frameId, jobTrackOf, packInvocations, planDecodeJobs, type Invocation, type PlannedJobs } from '../../media/sampling/decode-jobs.js';
import { openByteSource } from '../../media/source/byte-source.js';
import { readVideoIndex } from '../../media/formats.js';
import type { OpenedInput } from '../opened-input.js';
import type { FanoutPool, PoolRequest } from './fanout.js';
import { interpretAnswer, type Verdict } from './interpret.js';
import type { InvokeOutcome } from './invoke.js';
import type { FleetSession } from './session.js';

/** Thumbnails the function returns for --html: as wide as the report shows them. */
export const REMOTE_THUMBNAIL_WIDTH = 96;
/** Frames per invocation when thumbnails come back too (about 13 KB of base64 each, well inside 6 MB). */
const MAX_TARGETS_WITH_THUMBNAILS = 200;
const MAX_TARGETS = 256;

/** A video the fleet samples where it lies. */
export interface FleetVideo {
  readonly opened: OpenedInput;
  readonly media: MediaInfo;
  readonly plan: readonly PlannedFrame[];
  readonly keyframes: boolean;
  readonly fit: FitMode;
  /** Fill with each frame's thumbnail (for --html). */
  readonly thumbnails?: Map<number, FrameImage> | undefined;
  readonly onNote?: ((message: string) => void) | undefined;
}

/**
 * Samples and scores `video` in the fleet. `containers`: which containers' GOP jobs
 * the function decodes (its warm-up answer; MP4 only when it does not say).
 */
export async function* sampleAndScore(pool: FanoutPool, video: FleetVideo, session: FleetSession, containers: readonly string[] = ['mp4']): AsyncGenerator<FrameResult> {
  const { opened, media, plan } = video;
  const s3 = opened.s3!;
  session.sampledInFleet(opened);
  const { jobs, track } = await planJobs(opened, video, containers);
  const byIndex = new Map(plan.map((planned) => [frameId(planned), planned]));
  for (const { planned, error } of jobs.late) yield failedFrame({ ...planned, actualTime: null }, error.code, error.message);
  const invocations = packInvocations(jobs.gops, jobs.seeks, {
    lanes: pool.options.concurrency, maxTargets: video.thumbnails === undefined ? MAX_TARGETS : MAX_TARGETS_WITH_THUMBNAILS,
  });
  const walks = jobs.gops.reduce((sum, gop) => sum + gop.offsets.length, 0);
  video.onNote?.(`sampled in the function: ${jobs.gops.length} GOP walks (${walks} coded frames) and ${jobs.seeks.length} per-frame seeks in ${invocations.length} invocations`
    + (jobs.seekReasons.size > 0 ? ` (seeks: ${[...jobs.seekReasons].map(([why, count]) => `${count}× ${why}`).join('; ')})` : ''));

  const base = {
    v: CONTRACT_VERSION, kind: SAMPLE_KIND,
    object: { uri: `s3://${s3.bucket}/${s3.key}`, etag: s3.etag, size: s3.size },
    video: { startTime: media.startTime, rotation: media.rotation, keyframes: video.keyframes },
    fit: video.fit,
    ...(track === undefined ? {} : { track }),
    ...(video.thumbnails === undefined ? {} : { thumbnails: REMOTE_THUMBNAIL_WIDTH }),
  } as const;
  const interpret: SampleInterpreter = (outcome, request, positions) => interpretAnswer<SampleResponse>(
    outcome, (payload) => parseSampleResponse(payload, request), positions, pool.options.expectedModelSha256, (answer) => {
      session.figures.add(answer.media);
      if (video.thumbnails !== undefined) keepThumbnails(answer, video.thumbnails);
    },
  );
  const finished: FrameResult[] = [];
  let wake: (() => void) | undefined;
  let pending = invocations.length;
  for (const invocation of invocations) {
    const request: SampleRequest = { ...base, gops: invocation.gops, seeks: invocation.seeks };
    void pool.attempt(samplePoolRequest(request, byIndex, interpret), session.telemetry)
      .then((results) => finished.push(...results), () => {})
      .finally(() => {
        pending -= 1;
        wake?.();
      });
  }
  while (pending > 0 || finished.length > 0) {
    if (finished.length > 0) {
      yield finished.shift()!;
      continue;
    }
    await new Promise<void>((resolve) => { wake = resolve; });
    wake = undefined;
  }
  if (pool.fatal !== undefined) throw pool.fatal;
}

/** Each ok frame's thumbnail, by index (ids are frame indices). */
function keepThumbnails(answer: SampleResponse, thumbnails: Map<number, FrameImage>): void {
  for (const result of answer.results) {
    if (result.status !== 'ok' || result.thumbnail === undefined) continue;
    try {
      thumbnails.set(Number(result.id), fromWirePixels(result.thumbnail, Buffer.from(result.thumbnail.data, 'base64')));
    } catch {
      // A thumbnail that does not decode costs only the picture in the HTML report.
    }
  }
}

/**
 * The decode jobs and the track the function decodes them with, planned from the same
 * index as local sampling's (media/formats.ts: MP4/MOV sample tables, MPEG-TS packets,
 * Matroska/WebM block headers), read once through the relay (around the plan's times
 * when they are sparse), when the function decodes that container's jobs. Without one,
 * every frame goes to the function's per-frame seek: inputs no demuxer indexes (AVI, ...)
 * or whose index cannot cut frames out of byte ranges (mediabunny's fallback reading).
 */
async function planJobs(opened: OpenedInput, video: FleetVideo, containers: readonly string[]): Promise<{ jobs: PlannedJobs; track?: SampleTrack | undefined }> {
  const options = { startTime: video.media.startTime, keyframes: video.keyframes };
  const source = await openByteSource(opened.input, opened.sizeBytes).catch(() => undefined);
  if (source === undefined) return { jobs: planDecodeJobs(video.plan, undefined, options) };
  try {
    const times = video.plan.map((planned) => video.media.startTime + planned.requestedTime);
    const reading = await readVideoIndex(source, { times, duration: video.media.duration }).catch(() => undefined);
    if (reading === undefined || !('index' in reading)) return { jobs: planDecodeJobs(video.plan, undefined, options) };
    try {
      const wire = reading.index.wire?.container;
      const indexed = wire !== undefined && containers.includes(wire) ? jobTrackOf(reading.index) : undefined;
      return { jobs: planDecodeJobs(video.plan, indexed?.index, options), track: indexed?.track };
    } finally {
      await reading.index.close();
    }
  } finally {
    await source.close();
  }
}

type SampleInterpreter = (outcome: InvokeOutcome, request: SampleRequest, positions: readonly FramePosition[]) => Verdict;

/** A sample request for the pool; narrowed, it keeps only the GOP jobs and seeks of the frames left, each walk cut after its last target left. */
export function samplePoolRequest(request: SampleRequest, byIndex: ReadonlyMap<string, PlannedFrame>, interpret: SampleInterpreter): PoolRequest {
  const positions = positionsOf(request, byIndex);
  return {
    body: Buffer.from(JSON.stringify(request)),
    positions,
    interpret: (outcome) => interpret(outcome, request, positions),
    narrow: (indices) => samplePoolRequest(narrowSampleRequest(request, new Set([...indices].map(String))), byIndex, interpret),
  };
}

export function narrowSampleRequest(request: SampleRequest, ids: ReadonlySet<string>): SampleRequest {
  const gops = request.gops.flatMap((gop): GopJob[] => {
    const targets = gop.targets.filter((target) => ids.has(target.id));
    if (targets.length === 0) return [];
    // The walk decodes in decode order: nothing after its last target left is needed.
    const end = Math.max(...targets.map((target) => target.at)) + 1;
    return [{ offsets: gop.offsets.slice(0, end), sizes: gop.sizes.slice(0, end), times: gop.times.slice(0, end), targets }];
  });
  return { ...request, gops, seeks: request.seeks.filter((seek) => ids.has(seek.id)) };
}

function positionsOf(invocation: Pick<Invocation, 'gops' | 'seeks'>, byIndex: ReadonlyMap<string, PlannedFrame>): FramePosition[] {
  const gop = invocation.gops.flatMap((job) => job.targets.map((target) => ({ ...byIndex.get(target.id)!, actualTime: target.time })));
  const seek = invocation.seeks.map((target) => ({ ...byIndex.get(target.id)!, actualTime: null }));
  return [...gop, ...seek].map(({ index, requestedTime, actualTime }) => ({ index, requestedTime, actualTime }));
}

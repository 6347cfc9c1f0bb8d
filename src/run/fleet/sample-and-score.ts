/**
 * The fleet's combined executor: it samples AND scores in one invocation. For
 * an s3:// video the client reads only the file's index (through the range
 * relay), plans decode jobs, packs them into invocations, and each invocation
 * reads its own frames' bytes from S3, decodes and scores them. For Matroska/WebM
 * and MPEG-TS, whose frame-level index lies spread through the file, a function
 * that indexes them itself gets span jobs instead (the times alone): the client
 * reads only the file's first bytes. Results stream back as invocations finish. The engine chooses it (executor.ts); the
 * answers pass the same checks as scored frames' (interpret.ts).
 */
import { CONTRACT_VERSION } from '../../core/contract.js';
import { parseSampleResponse, SAMPLE_KIND, type GopJob, type SampleRequest, type SampleResponse, type SampleTrack, type SpanJob } from '../../core/contract-sample.js';
import type { SamplingCapability } from '../../core/contract.js';
import type { FrameImage } from '../../core/image-decode.js';
import { failedFrame, type FramePosition, type FrameResult } from '../../core/results.js';
import type { PlannedFrame } from '../../core/sampling-plan.js';
import type { FitMode } from '../../core/preprocess.js';
import { fromWirePixels } from '../../core/wire-image.js';
import type { MediaInfo } from '../../media/probe.js';
import { cutSpans, frameId, jobTrackOf, packInvocations, planDecodeJobs, type PackingLimits, type PlannedJobs } from '../../media/sampling/decode-jobs.js';
import { openByteSource, type ByteSource } from '../../media/source/byte-source.js';
import { containerOf, readVideoIndex } from '../../media/formats.js';
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

/** What the function said it does with sample requests (its warm-up answer's sampling; absent parts: MP4 GOP jobs only). */
export type SamplingJobs = Pick<SamplingCapability, 'containers' | 'spans'>;

/**
 * Samples and scores `video` in the fleet: GOP jobs for the containers the function
 * decodes (`jobs.containers`), span jobs for those it indexes itself (`jobs.spans`).
 */
export async function* sampleAndScore(pool: FanoutPool, video: FleetVideo, session: FleetSession, jobs: SamplingJobs = {}): AsyncGenerator<FrameResult> {
  const { opened, media, plan } = video;
  const s3 = opened.s3!;
  session.sampledInFleet(opened);
  const limits: PackingLimits = { lanes: pool.options.concurrency, maxTargets: video.thumbnails === undefined ? MAX_TARGETS : MAX_TARGETS_WITH_THUMBNAILS };
  const work = await planInvocations(opened, video, jobs, limits);
  const byIndex = new Map(plan.map((frame) => [frameId(frame), frame]));
  for (const { planned, error } of work.late) yield failedFrame({ ...planned, actualTime: null }, error.code, error.message);
  const { invocations, track } = work;
  video.onNote?.(`sampled in the function: ${work.note}`);

  const base = {
    v: CONTRACT_VERSION, kind: SAMPLE_KIND,
    object: { uri: `s3://${s3.bucket}/${s3.key}`, etag: s3.etag, size: s3.size },
    video: { startTime: media.startTime, rotation: media.rotation, keyframes: video.keyframes, ...(media.clockContinuous === true ? { clockContinuous: true } : {}) },
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
    const request: SampleRequest = { ...base, ...invocation };
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

/** The video's work for the function, one request body (less its common fields) per invocation. */
export interface FleetWork {
  readonly invocations: ReadonlyArray<Pick<SampleRequest, 'gops' | 'seeks' | 'spans'>>;
  readonly track?: SampleTrack | undefined;
  /** Frames that fail before any decoding (their frame lies too far from the time asked for). */
  readonly late: PlannedJobs['late'];
  /** What goes to the function, for --verbose. */
  readonly note: string;
}

type PlanningVideo = Pick<FleetVideo, 'media' | 'plan' | 'keyframes'>;

/** Plans the video's work (planJobs) and packs it into invocations: one span each, or GOP jobs and seeks packed by cost. */
export async function planInvocations(opened: OpenedInput, video: PlanningVideo, jobs: SamplingJobs, limits: PackingLimits): Promise<FleetWork> {
  const planned = await planJobs(opened, video, jobs, limits);
  if ('spans' in planned) {
    return {
      invocations: planned.spans.map((span) => ({ gops: [], seeks: [], spans: [span] })), late: [],
      note: `${planned.spans.length} spans (${video.plan.length} frames; the function reads the ${planned.container} index around them) in ${planned.spans.length} invocations`,
    };
  }
  const { gops, seeks, seekReasons, late } = planned.jobs;
  const invocations = packInvocations(gops, seeks, limits);
  const walks = gops.reduce((sum, gop) => sum + gop.offsets.length, 0);
  return {
    invocations, track: planned.track, late,
    note: `${gops.length} GOP walks (${walks} coded frames) and ${seeks.length} per-frame seeks in ${invocations.length} invocations`
      + (seekReasons.size > 0 ? ` (seeks: ${[...seekReasons].map(([why, count]) => `${count}× ${why}`).join('; ')})` : ''),
  };
}

type PlannedWork = { readonly jobs: PlannedJobs; readonly track?: SampleTrack | undefined } | { readonly spans: readonly SpanJob[]; readonly container: string };

/**
 * The work for the function. Matroska/WebM and MPEG-TS (recognised by their first bytes),
 * when the function indexes them itself: span jobs, and no index read here (around dense
 * times that index is most of the file). Else decode jobs and the track the function
 * decodes them with, planned from the same index as local sampling's (media/formats.ts:
 * MP4/MOV sample tables, MPEG-TS packets, Matroska/WebM block headers), read once through
 * the relay (around the plan's times when they are sparse), when the function decodes
 * that container's jobs. Without one, every frame goes to the function's per-frame seek:
 * inputs no demuxer indexes (AVI, ...) or whose index cannot cut frames out of byte
 * ranges (mediabunny's fallback reading).
 */
async function planJobs(opened: OpenedInput, video: PlanningVideo, jobs: SamplingJobs, limits: PackingLimits): Promise<PlannedWork> {
  const options = { startTime: video.media.startTime, keyframes: video.keyframes };
  const source = await openByteSource(opened.input, opened.sizeBytes).catch(() => undefined);
  if (source === undefined) return { jobs: planDecodeJobs(video.plan, undefined, options) };
  try {
    const format = await containerOf(source).catch(() => undefined);
    // The containers the function indexes itself are those its warm-up answer lists (Matroska/WebM and MPEG-TS, whose
    // frame-level index lies spread through the file). A file whose index is a pass over it anyway (a Matroska file
    // without Cues) is indexed once, here, not once per invocation.
    if (format !== undefined && (jobs.spans ?? []).includes(format.jobContainer) && await (format.readsAroundTimes?.(source).catch(() => false) ?? true)) {
      return { spans: cutSpans(video.plan, limits), container: format.name };
    }
    return await planFromIndex(source, video, jobs.containers ?? ['mp4']);
  } finally {
    await source.close();
  }
}

async function planFromIndex(source: ByteSource, video: PlanningVideo, containers: readonly string[]): Promise<PlannedWork> {
  const options = { startTime: video.media.startTime, keyframes: video.keyframes };
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
}

type SampleInterpreter = (outcome: InvokeOutcome, request: SampleRequest, positions: readonly FramePosition[]) => Verdict;

/** A sample request for the pool; narrowed, it keeps only the GOP jobs, seeks and span targets of the frames left, each walk cut after its last target left. */
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
  // A span keeps its targets left: the function indexes around those times only.
  const spans = request.spans?.flatMap((span): SpanJob[] => {
    const targets = span.targets.filter((target) => ids.has(target.id));
    return targets.length === 0 ? [] : [{ targets }];
  });
  return { ...request, gops, seeks: request.seeks.filter((seek) => ids.has(seek.id)), ...(spans === undefined ? {} : { spans }) };
}

function positionsOf(invocation: Pick<SampleRequest, 'gops' | 'seeks' | 'spans'>, byIndex: ReadonlyMap<string, PlannedFrame>): FramePosition[] {
  const gop = invocation.gops.flatMap((job) => job.targets.map((target) => ({ ...byIndex.get(target.id)!, actualTime: target.time })));
  const seek = [...invocation.seeks, ...(invocation.spans ?? []).flatMap((span) => span.targets)].map((target) => ({ ...byIndex.get(target.id)!, actualTime: null }));
  return [...gop, ...seek].map(({ index, requestedTime, actualTime }) => ({ index, requestedTime, actualTime }));
}

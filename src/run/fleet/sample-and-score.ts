/**
 * The fleet's combined executor: it samples AND scores in one invocation. For
 * an s3:// video the client reads only the file's index (through the range
 * relay), plans decode jobs, packs them into invocations, and each invocation
 * reads its own frames' bytes from S3, decodes and scores them. Results stream
 * back as invocations finish. The engine chooses it (executor.ts); the
 * answers pass the same checks as scored frames' (interpret.ts).
 */
import { CONTRACT_VERSION } from '../../core/contract.js';
import { parseSampleResponse, SAMPLE_KIND, type GopJob, type JobContainer, type SampleRequest, type SampleResponse, type SampleTrack } from '../../core/contract-sample.js';
import type { FrameImage } from '../../core/image-decode.js';
import { failedFrame, type FramePosition, type FrameResult } from '../../core/results.js';
import type { PlannedFrame } from '../../core/sampling-plan.js';
import type { FitMode } from '../../core/preprocess.js';
import { fromWirePixels } from '../../core/wire-image.js';
import type { MediaInfo } from '../../media/probe.js';
import { FrameChooser } from '../../media/index/frame-choice.js';
import { readMp4VideoTrack } from '../../media/mp4/video-track.js';
import { DemuxedIndex, readDemuxedIndex, worthReadingAround } from '../../media/matroska/matroska-index.js';
import { matroskaSpans } from '../../media/matroska/matroska-spans.js';
import { planGops } from '../../media/sampling/gop-plan.js';
import { MpegTsIndex, readMpegTsIndex } from '../../media/mpeg-ts/mpeg-ts-index.js';
import { frameId, mp4Spans, packInvocations, planDecodeJobs, type Invocation, type JobIndex } from '../../media/sampling/decode-jobs.js';
import { openByteSource, type ByteSource } from '../../media/source/byte-source.js';
import { containerOf } from '../../media/formats.js';
import { MATROSKA_FORMAT } from '../../media/matroska/matroska-format.js';
import { MP4_FORMAT } from '../../media/mp4/mp4-format.js';
import { MPEG_TS_FORMAT } from '../../media/mpeg-ts/mpeg-ts-format.js';
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
  const indexed = await indexOf(opened, video, containers);
  const jobs = planDecodeJobs(plan, indexed?.index, { startTime: media.startTime, keyframes: video.keyframes });
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
    ...(indexed === undefined ? {} : { track: indexed.track }),
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

/** A video's decode-job index and the track the function decodes its jobs with. */
interface JobTrack {
  readonly index: JobIndex;
  readonly track: SampleTrack;
}

type JobTrackReader = (source: ByteSource, video: FleetVideo, around: readonly number[] | undefined) => Promise<JobTrack | undefined>;

/** The job index of each container the registry recognises (media/formats.ts), and its name in the function's warm-up answer. */
const JOB_TRACKS: ReadonlyMap<string, { readonly wire: JobContainer; readonly read: JobTrackReader }> = new Map([
  [MP4_FORMAT.name, { wire: 'mp4', read: mp4JobTrack }],
  [MPEG_TS_FORMAT.name, { wire: 'mpeg-ts', read: mpegTsJobTrack }],
  [MATROSKA_FORMAT.name, { wire: 'matroska', read: matroskaJobTrack }],
]);

/**
 * The index the jobs are planned from, read once through the relay by the reader of
 * the container the format registry recognises, when the function decodes that
 * container's jobs: MP4/MOV H.264/HEVC (the sample table), MPEG-TS H.264/HEVC (the
 * local sampler's packet scan), Matroska/WebM H.264/HEVC/VP9 (mediabunny's demuxer, as
 * local sampling), read around the plan's times when they are sparse. Undefined sends
 * every frame to the function's per-frame seek (AVI, …).
 */
async function indexOf(opened: OpenedInput, video: FleetVideo, containers: readonly string[]): Promise<JobTrack | undefined> {
  const source = await openByteSource(opened.input, opened.sizeBytes).catch(() => undefined);
  if (source === undefined) return undefined;
  try {
    const format = await containerOf(source);
    const reader = format === undefined ? undefined : JOB_TRACKS.get(format.name);
    if (reader === undefined || !containers.includes(reader.wire)) return undefined;
    const times = video.plan.map((planned) => video.media.startTime + planned.requestedTime);
    return await reader.read(source, video, worthReadingAround(times, video.media.duration) ? times : undefined);
  } catch {
    return undefined;
  } finally {
    await source.close();
  }
}

async function mp4JobTrack(source: ByteSource): Promise<JobTrack | undefined> {
  const reading = await readMp4VideoTrack(source);
  if (!('track' in reading)) return undefined;
  const { track } = reading;
  return {
    index: { times: track.times, chooser: new FrameChooser(track), spans: mp4Spans(track) },
    track: { codec: track.codec, config: track.decoderConfig.toString('base64'), width: track.width, height: track.height, nalLengthSize: track.nalLengthSize },
  };
}

async function mpegTsJobTrack(source: ByteSource, _video: FleetVideo, around: readonly number[] | undefined): Promise<JobTrack | undefined> {
  const ts = await readMpegTsIndex(source, around);
  if (!(ts instanceof MpegTsIndex)) return undefined;
  return {
    index: { times: ts.times, chooser: new FrameChooser(ts), spans: (first, last) => ts.frameSpans(first, last) },
    track: { container: 'mpeg-ts', pid: ts.pid, codec: ts.codec, config: ts.decoderConfig.toString('base64'), width: ts.width, height: ts.height, nalLengthSize: 4 },
  };
}

/** A Matroska/WebM index (mediabunny's, as local sampling reads it) and its frames' block positions for the planned groups. */
async function matroskaJobTrack(source: ByteSource, video: FleetVideo, around: readonly number[] | undefined): Promise<JobTrack | undefined> {
  const reading = await readDemuxedIndex(source, around);
  if (!('index' in reading)) return undefined;
  const { index } = reading;
  try {
    if (!(index instanceof DemuxedIndex) || index.annexB) return undefined;
    const chooser = new FrameChooser(index);
    const groups = planGops(video.plan, index, chooser, { startTime: video.media.startTime, keyframes: video.keyframes })
      .flatMap((work) => ('group' in work ? [[work.group.start, Math.max(...work.group.members.map((member) => member.sample))] as const] : []));
    const spans = await matroskaSpans(source, index, groups);
    return {
      index: { times: index.times, chooser, spans: (first, last) => spans.get(`${first}:${last}`) ?? 'its blocks were not laid out' },
      track: { container: 'matroska', codec: index.codec, config: index.decoderConfig.toString('base64'), width: index.width, height: index.height, nalLengthSize: index.nalLengthSize },
    };
  } finally {
    await index.close();
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

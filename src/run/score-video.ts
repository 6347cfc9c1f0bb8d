/**
 * One prepared video's frames, sampled and scored as they finish, and its
 * report: what the CLI's classify (run/classify.ts) and the library's
 * classify (api/classify.ts) both run.
 */
import type { FrameImage } from '../core/image-decode.js';
import { REPORT_SCHEMA, type Report } from '../core/report.js';
import type { FrameResult, SampledFrame } from '../core/results.js';
import { describeSampling, withAskedTimes, type PlannedFrame } from '../core/sampling-plan.js';
import { summarise } from '../core/summary.js';
import type { Binaries } from '../media/binaries.js';
import type { MediaInfo } from '../media/probe.js';
import { sampleFrames } from '../media/sampling/sampler.js';
import { chooseExecutor, type RunScorer, type SampleOn } from './executor.js';
import type { Messages, Progress } from './events.js';
import type { OpenedInput } from './opened-input.js';
import { VERSION } from './paths.js';
import { samplerOptions, type InputSampling, type PreparedInput } from './prepare-input.js';
import type { FleetSession, FleetVideoFacts } from './fleet/session.js';
import type { FrameScorer } from './scorer.js';

export interface ScoreVideoDeps {
  readonly messages: Messages;
  readonly progress: Progress;
  readonly signal: AbortSignal;
  /** The model the scorer runs: frames are sampled at its input size. */
  readonly manifest: { readonly input: { readonly width: number; readonly height: number } };
  readonly scorer: RunScorer;
  /** Where s3:// videos are sampled when the scorer is the fleet (default auto: in the fleet when it can). */
  readonly sampleOn?: SampleOn | undefined;
}

export interface ScoredVideo {
  /** Results in completion order; a time after the last frame keeps the time asked for. */
  readonly results: AsyncIterable<FrameResult>;
  /** The video's session on a shared scorer (the fleet keeps its invocations, cost and sampling in it). */
  readonly session: FleetSession | undefined;
  /** Where the frames were sampled: here (the decoder lanes) or in the function fleet. */
  readonly sampledOn: 'local' | 'lambda';
  /** When frames came out of the local sampler, for --verbose's stage timings (see describeStages). */
  readonly clock: SamplingClock;
}

/** Milliseconds from the start of scoreVideo to the first and the last frame sampled here (undefined: none, or sampled in the fleet). */
export interface SamplingClock {
  readonly startedAt: number;
  firstSampledAt?: number | undefined;
  lastSampledAt?: number | undefined;
}

/**
 * Samples and scores `plan` (the frames still to do) of a prepared video, with
 * the executor the engine chooses (executor.ts). Throws InputError when told to
 * sample in the fleet and it cannot.
 */
export function scoreVideo(
  video: PreparedInput, plan: readonly PlannedFrame[], options: InputSampling, deps: ScoreVideoDeps, binaries: Binaries,
  keep: { readonly saveFrames?: string | undefined; readonly thumbnails?: Map<number, FrameImage> | undefined } = {},
): ScoredVideo {
  const { opened, media } = video;
  const { scorer } = deps;
  const clock: SamplingClock = { startedAt: performance.now() };
  const executor = chooseExecutor(scorer, deps.sampleOn ?? 'auto', video);
  const note = (message: string): void => { deps.messages.debug(`${opened.source}: ${message}`); };
  if (executor.kind === 'lanes' && executor.note !== undefined) note(executor.note);
  if (executor.kind === 'fleet') {
    const session = executor.fleet.session(plan.length);
    const fleetVideo = { opened, media, plan, keyframes: options.sampling.keyframes, fit: options.fit, thumbnails: keep.thumbnails, onNote: note };
    // Frames sampled in the function come back at the time they were planned at: put back the time asked for.
    const results = mapResults(executor.fleet.sampleAndScore(fleetVideo, session), withAskedTimes(plan));
    return { results: counted(results, true, deps.progress), session, sampledOn: 'lambda', clock };
  }
  const session = scorer.kind === 'fleet' ? scorer.session(plan.length) : undefined;
  const frames = sampleFrames([...plan], samplerOptions(video, options, deps.manifest.input, deps, binaries, keep.saveFrames));
  const scored = (session ?? scorer).score(tapSampled(frames, deps, clock, keep.thumbnails));
  return { results: counted(scored, false, deps.progress), session, sampledOn: 'local', clock };
}

async function* mapResults(results: AsyncIterable<FrameResult>, map: (result: FrameResult) => FrameResult): AsyncGenerator<FrameResult> {
  for await (const result of results) yield map(result);
}

/** Counts finished frames for progress (and sampled ones too, when the fleet sampled them). */
async function* counted(scored: AsyncIterable<FrameResult>, sampledElsewhere: boolean, progress: Progress): AsyncGenerator<FrameResult> {
  for await (const result of scored) {
    if (sampledElsewhere) progress.sampled();
    progress.classified(result.status === 'failed');
    yield result;
  }
}

/** Counts sampled frames for progress; drops frames cancelled by the signal (they were never attempted in full). */
async function* tapSampled(frames: AsyncIterable<SampledFrame>, deps: ScoreVideoDeps, clock: SamplingClock, keep?: Map<number, FrameImage>): AsyncGenerator<SampledFrame> {
  for await (const frame of frames) {
    clock.lastSampledAt = performance.now();
    clock.firstSampledAt ??= clock.lastSampledAt;
    if (frame.status === 'failed' && deps.signal.aborted) continue;
    if (keep !== undefined && frame.status === 'sampled') keep.set(frame.index, frame.image);
    deps.progress.sampled();
    yield frame;
  }
}

/**
 * One --verbose line: where a video's time went, stage by stage. Sampling and scoring
 * overlap (frames are scored as they are decoded), so "sampled" and "scored" are times
 * since the start of sampling, not durations to add up.
 */
export function describeStages(stages: { readonly prepareMs: number; readonly clock: SamplingClock; readonly scoredAt: number; readonly reportMs: number }): string {
  const since = (at: number | undefined): string => (at === undefined ? '-' : `${Math.round(at - stages.clock.startedAt)} ms`);
  return `stages: open+probe+plan ${Math.round(stages.prepareMs)} ms; from the start of sampling: first frame sampled ${since(stages.clock.firstSampledAt)}, last frame sampled ${since(stages.clock.lastSampledAt)}, last frame scored ${since(stages.scoredAt)}; report ${Math.round(stages.reportMs)} ms`;
}

/** What report.run adds for a video: where it was sampled, and the fleet's invocations, cost and sampling figures. */
export function runExtra(scored: Pick<ScoredVideo, 'session' | 'sampledOn'>, wallMs: number): { readonly sampledOn: 'local' | 'lambda'; readonly lambda?: FleetVideoFacts } {
  return { sampledOn: scored.sampledOn, ...(scored.session === undefined ? {} : { lambda: scored.session.facts(wallMs) }) };
}

/** What a report records of the run's settings. */
export interface ReportSettings extends Pick<InputSampling, 'sampling' | 'fit' | 'frameFormat'> {
  readonly threshold: number;
}

export function buildReport(
  opened: OpenedInput, media: MediaInfo, options: ReportSettings, scorer: Pick<FrameScorer, 'model' | 'description'>, mode: 'local' | 'lambda', frames: FrameResult[],
  run: { startedAt: Date; wallMs: number; interrupted: boolean; extra: Record<string, unknown> },
): Report {
  const ok = frames.filter((frame) => frame.status === 'ok').length;
  return {
    schema: REPORT_SCHEMA,
    generator: { name: 'framescore', version: VERSION },
    video: {
      source: opened.source, container: media.container, codec: media.codec, duration: media.duration, frameRate: media.frameRate,
      width: media.width, height: media.height, rotation: media.rotation, stillImage: media.stillImage, sizeBytes: media.sizeBytes,
    },
    model: scorer.model,
    sampling: { ...options.sampling, description: describeSampling(options.sampling), fit: options.fit, frameFormat: options.frameFormat },
    frames,
    summary: summarise(frames, scorer.model.labels, options.threshold),
    run: {
      mode,
      scorer: scorer.description,
      startedAt: run.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      wallMs: Math.round(run.wallMs),
      framesPerSecond: Number((ok / (run.wallMs / 1000)).toFixed(2)),
      interrupted: run.interrupted,
      ...run.extra,
    },
  };
}

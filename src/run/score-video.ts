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
import type { Messages, Progress } from './events.js';
import type { OpenedInput } from './opened-input.js';
import { VERSION } from './paths.js';
import { samplerOptions, type InputSampling, type PreparedInput } from './prepare-input.js';
import type { FrameScorer, ScoringSession, SessionScorer } from './scorer.js';

export interface ScoreVideoDeps {
  readonly messages: Messages;
  readonly progress: Progress;
  readonly signal: AbortSignal;
  /** The model the scorer runs: frames are sampled at its input size. */
  readonly manifest: { readonly input: { readonly width: number; readonly height: number } };
  readonly scorer: FrameScorer;
}

export interface ScoredVideo {
  /** Results in completion order; a time after the last frame keeps the time asked for. */
  readonly results: AsyncIterable<FrameResult>;
  /** The scorer's per-video session (the Lambda fan-out keeps statistics in it). */
  readonly session: ScoringSession | undefined;
  /** The frames were sampled where the video lies (the function fleet), not here. */
  readonly remote: boolean;
}

/** Samples and scores `plan` (the frames still to do) of a prepared video. */
export function scoreVideo(
  video: PreparedInput, plan: readonly PlannedFrame[], options: InputSampling, deps: ScoreVideoDeps, binaries: Binaries,
  keep: { readonly saveFrames?: string | undefined; readonly thumbnails?: Map<number, FrameImage> | undefined } = {},
): ScoredVideo {
  const { opened, media } = video;
  const session = isSessionScorer(deps.scorer) ? deps.scorer.session(plan.length) : undefined;
  const remote = session?.remote?.({
    opened, media, plan, keyframes: options.sampling.keyframes, fit: options.fit,
    thumbnails: keep.thumbnails, onNote: (message) => deps.messages.debug(`${opened.source}: ${message}`),
  });
  const scored = remote ?? (session ?? deps.scorer).score(tapSampled(
    sampleFrames([...plan], samplerOptions(video, options, deps.manifest.input, deps, binaries, keep.saveFrames)), deps, keep.thumbnails,
  ));
  return { results: counted(scored, plan, remote !== undefined, deps.progress), session, remote: remote !== undefined };
}

async function* counted(scored: AsyncIterable<FrameResult>, plan: readonly PlannedFrame[], remote: boolean, progress: Progress): AsyncGenerator<FrameResult> {
  // Frames sampled in the function come back at the time they were planned at; local sampling restores the time asked for itself.
  const asAsked = remote ? withAskedTimes(plan) : (result: FrameResult): FrameResult => result;
  for await (const scoredResult of scored) {
    const result = asAsked(scoredResult);
    if (remote) progress.sampled();
    progress.classified(result.status === 'failed');
    yield result;
  }
}

function isSessionScorer(scorer: FrameScorer): scorer is SessionScorer {
  return typeof (scorer as Partial<SessionScorer>).session === 'function';
}

/** Counts sampled frames for progress; drops frames cancelled by the signal (they were never attempted in full). */
async function* tapSampled(frames: AsyncIterable<SampledFrame>, deps: ScoreVideoDeps, keep?: Map<number, FrameImage>): AsyncGenerator<SampledFrame> {
  for await (const frame of frames) {
    if (frame.status === 'failed' && deps.signal.aborted) continue;
    if (keep !== undefined && frame.status === 'sampled') keep.set(frame.index, frame.image);
    deps.progress.sampled();
    yield frame;
  }
}

/** What a report records of the run's settings. */
export interface ReportSettings extends Pick<InputSampling, 'sampling' | 'fit' | 'frameFormat'> {
  readonly threshold: number;
}

export function buildReport(
  opened: OpenedInput, media: MediaInfo, options: ReportSettings, scorer: FrameScorer, mode: 'local' | 'lambda', frames: FrameResult[],
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

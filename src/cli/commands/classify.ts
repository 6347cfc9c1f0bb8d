import type { Writable } from 'node:stream';
import { errorMessage, InputError } from '../../core/errors.js';
import type { ModelManifest } from '../../core/model-manifest.js';
import { REPORT_SCHEMA, type Report } from '../../core/report.js';
import type { ReportFormat } from '../../core/report-formats.js';
import type { FrameResult, SampledFrame } from '../../core/results.js';
import { describeSampling, planFrames, planFromScenes, samplingWindow, type PlannedFrame, type SamplingSettings } from '../../core/sampling-plan.js';
import { summarise } from '../../core/summary.js';
import { resolveBinaries, type Binaries } from '../ffmpeg/binaries.js';
import type { FitMode } from '../ffmpeg/extract.js';
import { probeMedia, type MediaInfo } from '../ffmpeg/probe.js';
import { detectScenes } from '../ffmpeg/scenes.js';
import { openInput, type InputContext, type OpenedInput } from '../input.js';
import type { Messages } from '../output/messages.js';
import type { Progress } from '../output/progress.js';
import { reportBase, writeReport } from '../output/write-report.js';
import { VERSION } from '../paths.js';
import { sampleFrames } from '../sampler.js';
import type { FrameScorer } from '../scorer.js';

export interface ClassifyOptions {
  readonly inputs: readonly string[];
  readonly sampling: SamplingSettings;
  readonly fit: FitMode;
  readonly threshold: number;
  readonly formats: readonly ReportFormat[];
  /** --out BASE (one video), -o FILE|- , or --out-dir DIR. */
  readonly out?: string | undefined;
  readonly output?: string | undefined;
  readonly outDir?: string | undefined;
  readonly sampleConcurrency: number;
  readonly frameTimeoutMs: number;
  readonly saveFrames?: string | undefined;
  /** Also write a self-contained HTML report here (keeps each frame's JPEG for thumbnails). */
  readonly html?: string | undefined;
  readonly ffmpeg?: string | undefined;
  readonly context: InputContext;
}

export interface ClassifyDeps {
  readonly stdout: Writable;
  readonly messages: Messages;
  readonly progress: Progress;
  readonly signal: AbortSignal;
  /** The model the scorer runs, for input size and labels. */
  readonly manifest: ModelManifest;
  readonly scorer: FrameScorer;
  readonly mode: 'local' | 'lambda';
}

export interface VideoOutcome {
  readonly source: string;
  readonly status: 'complete' | 'failures' | 'interrupted' | 'unreadable';
  readonly files: readonly string[];
  readonly frames: { readonly total: number; readonly ok: number; readonly failed: number };
  readonly error?: string;
}

export interface ClassifyOutcome {
  readonly videos: readonly VideoOutcome[];
  readonly interrupted: boolean;
}

/** Samples and scores each input in turn, writing one report per input. */
export async function classify(options: ClassifyOptions, deps: ClassifyDeps): Promise<ClassifyOutcome> {
  const binaries = resolveBinaries({ ffmpeg: options.ffmpeg });
  const videos: VideoOutcome[] = [];
  for (const spec of options.inputs) {
    if (deps.signal.aborted) break;
    try {
      videos.push(await classifyOne(spec, options, deps, binaries));
    } catch (error) {
      // One unreadable input must not cost the others their reports.
      if (!(error instanceof InputError) || options.inputs.length === 1) throw error;
      deps.messages.error(errorMessage(error));
      videos.push({ source: spec, status: 'unreadable', files: [], frames: { total: 0, ok: 0, failed: 0 }, error: errorMessage(error) });
    }
  }
  return { videos, interrupted: deps.signal.aborted };
}

async function classifyOne(spec: string, options: ClassifyOptions, deps: ClassifyDeps, binaries: Binaries): Promise<VideoOutcome> {
  const startedAt = new Date();
  const started = performance.now();
  const opened = await openInput(spec, options.context);
  const media = await probeMedia(binaries.ffprobe, opened.input, opened.source, { sizeBytes: opened.sizeBytes });
  const plan = await makePlan(opened, media, options, deps, binaries);
  deps.messages.debug(`${opened.source}: ${media.codec} ${media.width}x${media.height} ${media.frameRate.toFixed(3)} fps, ${media.duration.toFixed(3)} s; ${plan.length} frames`);

  deps.progress.begin(opened.source, plan.length);
  const thumbnails = new Map<number, Uint8Array>();
  const frames = tapSampled(sampleFrames(plan, {
    ffmpeg: binaries.ffmpeg,
    input: opened.input,
    width: deps.manifest.input.width,
    height: deps.manifest.input.height,
    fit: options.fit,
    keyframes: options.sampling.keyframes,
    startTime: media.startTime,
    stillImage: media.stillImage,
    timeoutMs: options.frameTimeoutMs,
    signal: deps.signal,
    concurrency: options.sampleConcurrency,
    saveFramesDir: options.saveFrames,
  }), deps, options.html !== undefined ? thumbnails : undefined);
  const results: FrameResult[] = [];
  for await (const result of deps.scorer.score(frames)) {
    results.push(result);
    deps.progress.classified(result.status === 'failed');
  }
  deps.progress.end();

  results.sort((a, b) => a.index - b.index);
  const interrupted = deps.signal.aborted;
  const report = buildReport(opened, media, options, deps, results, { startedAt, wallMs: performance.now() - started, interrupted });
  const files = await writeReport(report, options.formats, reportTarget(opened.source, options), deps.stdout);
  if (options.html !== undefined) {
    const { writeHtmlReport } = await import('../output/html-report.js');
    files.push(await writeHtmlReport(report, options.html, thumbnails));
  }
  const { total, ok, failed } = report.summary.frames;
  if (files.length > 0) deps.messages.info(`${opened.source}: ${ok}/${plan.length} frames scored${failed ? `, ${failed} failed` : ''}${interrupted ? ' (interrupted)' : ''}; wrote ${files.join(', ')}`);
  return { source: opened.source, status: interrupted ? 'interrupted' : failed > 0 ? 'failures' : 'complete', files, frames: { total, ok, failed } };
}

async function makePlan(opened: OpenedInput, media: MediaInfo, options: ClassifyOptions, deps: ClassifyDeps, binaries: Binaries): Promise<PlannedFrame[]> {
  const timing = { duration: media.duration, frameRate: media.frameRate };
  if (options.sampling.mode.kind !== 'scenes' || media.stillImage) return planFrames(options.sampling, timing);
  const window = samplingWindow(options.sampling, timing);
  deps.messages.info(`${opened.source}: finding scene changes (one decoding pass)`);
  const changes = await detectScenes({
    ffmpeg: binaries.ffmpeg, input: opened.input, source: opened.source, threshold: options.sampling.mode.threshold,
    startTime: media.startTime, start: window.start, end: window.end, signal: deps.signal,
  });
  return planFromScenes(changes, options.sampling, timing);
}

/** Counts sampled frames for progress; drops frames cancelled by Ctrl-C (they were never attempted in full). */
async function* tapSampled(frames: AsyncIterable<SampledFrame>, deps: ClassifyDeps, keep?: Map<number, Uint8Array>): AsyncGenerator<SampledFrame> {
  for await (const frame of frames) {
    if (frame.status === 'failed' && deps.signal.aborted) continue;
    if (keep !== undefined && frame.status === 'sampled') keep.set(frame.index, frame.jpeg);
    deps.progress.sampled();
    yield frame;
  }
}

function reportTarget(source: string, options: ClassifyOptions): Parameters<typeof writeReport>[2] {
  if (options.output === '-') return { kind: 'stdout' };
  if (options.output !== undefined) return { kind: 'file', file: options.output };
  if (options.out !== undefined) return { kind: 'base', base: options.out };
  return { kind: 'base', base: reportBase(source, options.outDir ?? '.') };
}

function buildReport(
  opened: OpenedInput, media: MediaInfo, options: ClassifyOptions, deps: ClassifyDeps, frames: FrameResult[],
  run: { startedAt: Date; wallMs: number; interrupted: boolean },
): Report {
  const ok = frames.filter((frame) => frame.status === 'ok').length;
  return {
    schema: REPORT_SCHEMA,
    generator: { name: 'framescore', version: VERSION },
    video: {
      source: opened.source, container: media.container, codec: media.codec, duration: media.duration, frameRate: media.frameRate,
      width: media.width, height: media.height, rotation: media.rotation, stillImage: media.stillImage, sizeBytes: media.sizeBytes,
    },
    model: deps.scorer.model,
    sampling: { ...options.sampling, description: describeSampling(options.sampling), fit: options.fit },
    frames,
    summary: summarise(frames, deps.scorer.model.labels, options.threshold),
    run: {
      mode: deps.mode,
      scorer: deps.scorer.description,
      startedAt: run.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      wallMs: Math.round(run.wallMs),
      framesPerSecond: Number((ok / (run.wallMs / 1000)).toFixed(2)),
      interrupted: run.interrupted,
    },
  };
}


/**
 * The library's classify: one input sampled and scored, here or on the function
 * fleet (`lambda`), results as they finish, the report at the end. The CLI's
 * `classify --local` and `classify --function` run the same engine
 * (run/score-video.ts) and write this report to files.
 */
import type { FrameImage } from '../core/image-decode.js';
import type { FitMode } from '../core/preprocess.js';
import type { Report } from '../core/report.js';
import type { FrameResult } from '../core/results.js';
import { resolveBinaries } from '../media/binaries.js';
import type { FrameFormat } from '../media/decode/frame-output.js';
import { OptionError } from '../run/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '../run/local/backend-choice.js';
import { prepareInput } from '../run/prepare-input.js';
import { checkSampleOn, type RunScorer, type SampleOn } from '../run/executor.js';
import type { Messages } from '../run/events.js';
import { describeRun } from '../run/fleet/describe-run.js';
import type { FleetVideoFacts } from '../run/fleet/session.js';
import { buildReport, runExtra, scoreVideo } from '../run/score-video.js';
import { fleetSettings, type LambdaOptions } from './lambda-options.js';
import { openModel, type Model } from './model.js';
import { eventSinks, inputSampling, integer, oneOf, type SamplingOptions } from './options.js';
import { ResultQueue } from './result-queue.js';

export interface ClassifyOptions extends SamplingOptions {
  /**
   * Score on the function fleet (the deployed classifier function) instead of here;
   * s3:// videos are then sampled in the function too when it can (`sampleOn`).
   * The model is the function's: `model`, `backend`, `workers` and `batchSize` apply to local scoring only.
   */
  readonly lambda?: LambdaOptions | undefined;
  /** What openModel returned, or a model directory or s3:// prefix; default the bundled MobileNetV2. */
  readonly model?: Model | string | undefined;
  /** Inference engine: auto (ONNX Runtime, else tfjs-node, else wasm), onnx, wasm, node or cpu. */
  readonly backend?: BackendChoice | undefined;
  /** Inference worker threads (default one per core, at most 4). */
  readonly workers?: number | undefined;
  readonly batchSize?: number | 'auto' | undefined;
  /** Score at which a frame counts in the summary and segments (default 0.5). */
  readonly threshold?: number | undefined;
  /** How frames leave the decoder: lossless (default) or jpeg. */
  readonly frameFormat?: FrameFormat | undefined;
  /** Keep each sampled frame's image in `images` (for renderHtmlReport's thumbnails). */
  readonly keepImages?: boolean | undefined;
}

/** A run in progress: iterate it (or `frames`) for results in completion order; `report` settles when it ends. */
export interface ClassifyRun extends AsyncIterable<FrameResult> {
  readonly frames: AsyncIterable<FrameResult>;
  /** The report, frames in index order; rejects with InputError, ModelError, OptionError, … when the run cannot start. */
  readonly report: Promise<Report>;
  /** Each frame's sampled image by index, with `keepImages` (else empty; from the fleet, small thumbnails). */
  readonly images: ReadonlyMap<number, FrameImage>;
  /** With `lambda`: the fleet's invocations, retries, cold starts, latency, cost and sampling figures (report.run.lambda); else undefined. */
  readonly lambda: Promise<LambdaFacts | undefined>;
}

/** What report.run.lambda records of a run on the function fleet. */
export type LambdaFacts = FleetVideoFacts;

/** Starts at once; results wait in memory until read, so awaiting only `report` is fine. */
export function classify(input: string, options: ClassifyOptions = {}): ClassifyRun {
  const queue = new ResultQueue<FrameResult>();
  const images = new Map<number, FrameImage>();
  const report = run(input, options, images, (result) => { queue.push(result); }).then(
    (finished) => { queue.close(); return finished; },
    (error: unknown) => { queue.fail(error); throw error; },
  );
  // The caller may read only the frames (which throw the same error): no unhandled rejection for the report.
  report.catch(() => {});
  const lambda = report.then((finished) => finished.run.lambda as LambdaFacts | undefined);
  lambda.catch(() => {});
  return { frames: queue, report, images, lambda, [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator]() };
}

async function run(input: string, options: ClassifyOptions, images: Map<number, FrameImage>, onResult: (result: FrameResult) => void): Promise<Report> {
  const sampling = inputSampling(options, options.frameFormat ?? 'lossless');
  const threshold = options.threshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1)) throw new OptionError(`threshold ${threshold} must be from 0 to 1`);
  const signal = options.signal ?? new AbortController().signal;
  const { messages, progress } = eventSinks(options.onEvent);
  const { scorer, sampleOn } = await startScorer(options, sampling.fit, messages, signal);
  try {
    checkSampleOn(scorer, sampleOn);
    const binaries = resolveBinaries({ ffmpeg: options.ffmpeg });
    const video = await prepareInput(input, sampling, { messages, signal }, binaries);
    const startedAt = new Date();
    const started = performance.now();
    progress.begin(video.opened.source, video.plan.length);
    const scored = scoreVideo(video, video.plan, sampling, { messages, progress, signal, manifest: scorer.model, scorer, sampleOn }, binaries, {
      thumbnails: options.keepImages === true ? images : undefined,
    });
    const frames: FrameResult[] = [];
    for await (const result of scored.results) {
      frames.push(result);
      onResult(result);
    }
    progress.end();
    frames.sort((a, b) => a.index - b.index);
    const wallMs = performance.now() - started;
    const run = { startedAt, wallMs, interrupted: signal.aborted, extra: runExtra(scored, wallMs) };
    if (scorer.kind === 'fleet') messages.info(describeRun(scorer.facts()));
    return buildReport(video.opened, video.media, { ...sampling, threshold }, scorer, scorer.kind === 'fleet' ? 'lambda' : 'local', frames, run);
  } finally {
    await scorer.close();
  }
}

/** The local engine pool (started with the first frames), or the function fleet (probed now: an unknown function fails here). */
async function startScorer(options: ClassifyOptions, fit: FitMode, messages: Messages, signal: AbortSignal): Promise<{ scorer: RunScorer; sampleOn: SampleOn }> {
  if (options.lambda !== undefined) {
    for (const name of ['model', 'backend', 'workers', 'batchSize'] as const) {
      if (options[name] !== undefined) throw new OptionError(`${name} applies to local scoring; with lambda the function runs the model it was deployed with (lambda.batchSize sets frames per invocation)`);
    }
    const { sampleOn, ...settings } = fleetSettings(options.lambda, options.aws?.env);
    // Loaded here, not at import: local runs never load the AWS SDK.
    const { startFleet } = await import('../run/fleet/start.js');
    return { scorer: await startFleet(settings, { messages, signal, fit }), sampleOn };
  }
  const backend = oneOf(options.backend ?? 'auto', 'backend', BACKEND_CHOICES);
  const workers = options.workers === undefined ? undefined : integer(options.workers, 'workers', 1, 64);
  const batchSize = options.batchSize === undefined || options.batchSize === 'auto' ? 'auto' : integer(options.batchSize, 'batchSize', 1, 256);
  const model = typeof options.model === 'object' ? options.model : await openModel(options.model, options);
  // Loaded here, not at import: the engines (ONNX Runtime, TF.js) are heavy and run in worker threads.
  const { LazyLocalScorer } = await import('../run/local/lazy-scorer.js');
  const scorer = new LazyLocalScorer(model.manifest, { workers, backend, modelDir: model.dir, batchSize, fit }, (pool) => {
    messages.debug(`engine: ${pool.description}${pool.fellBack === undefined ? '' : `; not ONNX Runtime because ${pool.fellBack}`}`);
  });
  return { scorer, sampleOn: 'local' };
}

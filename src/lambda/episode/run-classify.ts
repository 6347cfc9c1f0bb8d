/**
 * One episode through the run engine with the classifier function as the
 * executor: the same pipeline and report as `framescore classify URI
 * --function F` (sampling in the fleet when the function can sample the object).
 *
 * Interim: the library's `classify(input, { lambda })` (src/api/classify.ts) is
 * being added beside this work; until it lands this assembles the same parts
 * the CLI's `classify --function` does (prepareInput, LambdaScorer, scoreVideo,
 * buildReport). Swap the body for that one call when it does; the signature stays.
 */
import type { FrameImage } from '../../core/image-decode.js';
import type { Report } from '../../core/report.js';
import type { FrameResult } from '../../core/results.js';
import { inputSampling, eventSinks } from '../../api/options.js';
import { createLambdaClient } from '../../cli/fanout/client.js';
import { DEFAULT_PRICE_GB_SECOND, DEFAULT_PRICE_REQUEST } from '../../cli/fanout/cost.js';
import { NETWORK_MARGIN_MS, resolveInvokeTimeout } from '../../cli/fanout/invoke-timeout.js';
import { LambdaScorer } from '../../cli/fanout/scorer.js';
import { resolveBinaries } from '../../media/binaries.js';
import { prepareInput } from '../../run/prepare-input.js';
import { buildReport, scoreVideo } from '../../run/score-video.js';
import type { EpisodeOptions } from './options.js';

export interface EpisodeRun {
  readonly report: Report;
  /** Sampled frames by index, for the HTML report's thumbnails. */
  readonly images: ReadonlyMap<number, FrameImage>;
}

export interface ClassifierTarget {
  readonly functionName: string;
  /** Per-invocation client timeout; default the function's own timeout + 5 s. */
  readonly invokeTimeoutMs?: number | undefined;
  readonly maxAttempts?: number | undefined;
}

export type ClassifyEpisode = (uri: string, options: EpisodeOptions, signal: AbortSignal) => Promise<EpisodeRun>;

const MAX_FUNCTION_TIMEOUT_MS = 900_000;

export function classifierEpisodeRunner(target: ClassifierTarget, env: NodeJS.ProcessEnv, log: (message: string) => void): ClassifyEpisode {
  return async (uri, options, signal) => {
    const sampling = inputSampling({
      every: options.every, frames: options.frames, keyframes: options.keyframes, signal, aws: { env },
      // Only a local fallback decodes here; the function has one or two vCPUs.
      sampleConcurrency: 2,
    }, 'lossless');
    const { messages, progress } = eventSinks((event) => { if (event.type === 'message' && event.level !== 'debug') log(event.message); });
    const lambdaTarget = { functionName: target.functionName };
    const connection = createLambdaClient(lambdaTarget, { env, maxSockets: options.concurrency + 8, timeoutMs: MAX_FUNCTION_TIMEOUT_MS + NETWORK_MARGIN_MS });
    let scorer: LambdaScorer;
    try {
      scorer = await LambdaScorer.start({
        connection, target: lambdaTarget, concurrency: options.concurrency, batchSize: { kind: 'auto' }, maxAttempts: target.maxAttempts ?? 6,
        timeoutMs: target.invokeTimeoutMs ?? 30_000,
        invokeTimeout: async () => (await resolveInvokeTimeout(connection.client, lambdaTarget, target.invokeTimeoutMs)).timeoutMs,
        prices: { architecture: 'arm64', perGbSecond: DEFAULT_PRICE_GB_SECOND.arm64, perRequest: DEFAULT_PRICE_REQUEST },
        signal, fit: sampling.fit, warmCount: 0, warmHoldMs: 0, sampleOn: options.sampleOn,
      });
    } catch (error) {
      connection.close();
      throw error;
    }
    try {
      const binaries = resolveBinaries({});
      const video = await prepareInput(uri, sampling, { messages, signal }, binaries);
      const images = new Map<number, FrameImage>();
      const startedAt = new Date();
      const started = performance.now();
      const { results, session, remote } = scoreVideo(video, video.plan, sampling, { messages, progress, signal, manifest: scorer.model, scorer }, binaries, { thumbnails: images });
      const frames: FrameResult[] = [];
      for await (const result of results) frames.push(result);
      frames.sort((a, b) => a.index - b.index);
      const wallMs = performance.now() - started;
      const extra = { sampledOn: remote ? 'lambda' : 'local', ...(session === undefined ? {} : { lambda: session.facts(wallMs) }) };
      const report = buildReport(video.opened, video.media, { ...sampling, threshold: options.threshold }, scorer, 'lambda', frames, { startedAt, wallMs, interrupted: signal.aborted, extra });
      return { report, images };
    } finally {
      await scorer.close();
    }
  };
}

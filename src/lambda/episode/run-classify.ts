/**
 * One episode through the run engine with the classifier function as the
 * executor: the library's `classify(uri, { lambda })`, the same pipeline and
 * report as `framescore classify URI --function F` (sampling in the fleet when
 * the function can sample the object).
 */
import { classify } from '../../api/classify.js';
import type { FrameImage } from '../../core/image-decode.js';
import type { Report } from '../../core/report.js';
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

export function classifierEpisodeRunner(target: ClassifierTarget, env: NodeJS.ProcessEnv, log: (message: string) => void): ClassifyEpisode {
  return async (uri, options, signal) => {
    const run = classify(uri, {
      every: options.every, frames: options.frames, keyframes: options.keyframes, threshold: options.threshold, signal,
      // Only a local fallback decodes here; the function has one or two vCPUs.
      sampleConcurrency: 2,
      keepImages: true,
      aws: { env },
      lambda: {
        functionName: target.functionName, concurrency: options.concurrency, sampleOn: options.sampleOn,
        invokeTimeoutMs: target.invokeTimeoutMs, maxAttempts: target.maxAttempts ?? 6,
      },
      onEvent: (event) => { if (event.type === 'message' && event.level !== 'debug') log(event.message); },
    });
    return { report: await run.report, images: run.images };
  };
}

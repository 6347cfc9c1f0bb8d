/**
 * One episode through the run engine with the classifier function as the
 * executor: the library's `classify(uri, { lambda })`, the same pipeline and
 * report as `framescore classify URI --function F` (sampling in the fleet when
 * the function can sample the object).
 */
import { classify } from '../../api/classify.js';
import type { FrameImage } from '../../core/image-decode.js';
import type { Report } from '../../core/report.js';
import { MAX_FRAMES } from '../../core/sampling-plan.js';
import { EpisodeConfigError, type EpisodeOptions } from './options.js';

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
    // `every` has no frame count of its own: the plan's count (known once sampling starts) is bounded
    // like the CLI's --frames. The plan stops at MAX_FRAMES, so reaching it means the video needs more.
    const tooMany = new AbortController();
    let planned = 0;
    const run = classify(uri, {
      every: options.every, frames: options.frames, keyframes: options.keyframes, threshold: options.threshold,
      signal: AbortSignal.any([signal, tooMany.signal]),
      // Only a local fallback decodes here; the function has one or two vCPUs.
      sampleConcurrency: 2,
      keepImages: true,
      aws: { env },
      lambda: {
        functionName: target.functionName, concurrency: options.concurrency, sampleOn: options.sampleOn,
        invokeTimeoutMs: target.invokeTimeoutMs, maxAttempts: target.maxAttempts ?? 6,
      },
      onEvent: (event) => {
        if (event.type === 'message' && event.level !== 'debug') log(event.message);
        if (event.type === 'progress' && options.every !== undefined && event.total >= MAX_FRAMES && !tooMany.signal.aborted) {
          planned = event.total;
          tooMany.abort();
        }
      },
    });
    const refuse = (): EpisodeConfigError => new EpisodeConfigError(`every ${String(options.every)} s needs ${planned} or more frames for ${uri}, the most a run takes (MAX_FRAMES ${MAX_FRAMES}): set a larger every, or frames`);
    try {
      const report = await run.report;
      if (tooMany.signal.aborted) throw refuse();
      return { report, images: run.images };
    } catch (error) {
      if (tooMany.signal.aborted && !(error instanceof EpisodeConfigError)) throw refuse();
      throw error;
    }
  };
}

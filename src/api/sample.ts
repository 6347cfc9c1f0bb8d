/** The library's sample: one input's frames decoded and fitted to `size`, no model loaded (the CLI's `sample` saves them as files). */
import type { SampledFrame } from '../core/results.js';
import { resolveBinaries } from '../media/binaries.js';
import { sampleFrames } from '../media/sampling/sampler.js';
import { prepareInput, samplerOptions } from '../run/prepare-input.js';
import { eventSinks, inputSampling, integer, oneOf, type SamplingOptions } from './options.js';

export interface SampleOptions extends SamplingOptions {
  /** What video frames are scaled and cropped (or stretched) to; default 224×224. Still images keep their own size. */
  readonly size?: { readonly width: number; readonly height: number } | undefined;
  /** raw: RGB pixels (default); jpeg: the decoder's JPEG bytes. */
  readonly format?: 'raw' | 'jpeg' | undefined;
}

/** Frames in completion order; a frame that cannot be decoded comes as `status: 'failed'` with its cause. */
export async function* sample(input: string, options: SampleOptions = {}): AsyncGenerator<SampledFrame> {
  const format = oneOf(options.format ?? 'raw', 'format', ['raw', 'jpeg']);
  const sampling = inputSampling(options, format === 'jpeg' ? 'jpeg' : 'lossless');
  const size = options.size ?? { width: 224, height: 224 };
  integer(size.width, 'size.width', 2, 8192);
  integer(size.height, 'size.height', 2, 8192);
  const signal = options.signal ?? new AbortController().signal;
  const { messages, progress } = eventSinks(options.onEvent);
  const binaries = resolveBinaries({ ffmpeg: options.ffmpeg });
  const video = await prepareInput(input, sampling, { messages, signal }, binaries);
  progress.begin(video.opened.source, video.plan.length);
  for await (const frame of sampleFrames(video.plan, samplerOptions(video, sampling, size, { messages, signal }, binaries))) {
    // Frames cancelled by the signal were never attempted in full: left out, as the CLI leaves them out.
    if (frame.status === 'failed' && signal.aborted) continue;
    progress.sampled();
    progress.classified(frame.status === 'failed');
    yield frame;
  }
  progress.end();
}

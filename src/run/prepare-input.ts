/**
 * What classify and sample share: open an input, probe it, plan its frames
 * (scene detection included), and the sampler options that decode them.
 */
import type { FitMode } from '../core/preprocess.js';
import { planFrames, planFromScenes, samplingWindow, type PlannedFrame, type SamplingSettings } from '../core/sampling-plan.js';
import type { FrameFormat } from '../media/decode/frame-output.js';
import { detectScenes } from '../media/decode/scenes.js';
import { probeMedia, type MediaInfo } from '../media/probe.js';
import type { SamplerOptions, SamplingMethod } from '../media/sampling/sampler.js';
import type { Binaries } from '../media/binaries.js';
import { openInput, refuseOversizedStill, type InputContext, type OpenedInput } from './input.js';
import { localStillFacts } from './local/still-facts.js';
import type { Messages } from './events.js';

/** The sampling half of a run's options. */
export interface InputSampling {
  readonly sampling: SamplingSettings;
  readonly fit: FitMode;
  readonly frameFormat: FrameFormat;
  readonly sampler: SamplingMethod;
  readonly sampleConcurrency: number;
  readonly frameTimeoutMs: number;
  readonly context: InputContext;
}

export interface PreparedInput {
  readonly opened: OpenedInput;
  readonly media: MediaInfo;
  readonly plan: PlannedFrame[];
}

export interface PrepareDeps {
  readonly messages: Messages;
  readonly signal: AbortSignal;
}

/** Opens, probes and plans one input; an unreadable one throws InputError. */
export async function prepareInput(spec: string, options: InputSampling, deps: PrepareDeps, binaries: Binaries): Promise<PreparedInput> {
  const opened = await openInput(spec, options.context);
  const media = (await localStillFacts(opened)) ?? (await probeMedia(binaries.ffprobe, opened.input, opened.source, { sizeBytes: opened.sizeBytes }));
  refuseOversizedStill(media);
  const plan = await makePlan(opened, media, options.sampling, deps, binaries);
  deps.messages.debug(`${opened.source}: ${media.codec} ${media.width}x${media.height} ${media.frameRate.toFixed(3)} fps, ${media.duration.toFixed(3)} s; ${plan.length} frames`);
  return { opened, media, plan };
}

async function makePlan(opened: OpenedInput, media: MediaInfo, sampling: SamplingSettings, deps: PrepareDeps, binaries: Binaries): Promise<PlannedFrame[]> {
  const timing = { duration: media.duration, frameRate: media.frameRate, lastFrameTime: media.lastFrameTime };
  if (sampling.mode.kind !== 'scenes' || media.stillImage) return planFrames(sampling, timing);
  const window = samplingWindow(sampling, timing);
  deps.messages.info(`${opened.source}: finding scene changes (one decoding pass)`);
  const changes = await detectScenes({
    ffmpeg: binaries.ffmpeg, input: opened.input, source: opened.source, threshold: sampling.mode.threshold,
    startTime: media.startTime, start: window.start, end: window.end, signal: deps.signal,
  });
  return planFromScenes(changes, sampling, timing);
}

/** How the sampler decodes this input's frames at `size`; `--verbose` shows its notes. */
export function samplerOptions(
  input: PreparedInput, options: InputSampling, size: { readonly width: number; readonly height: number },
  deps: PrepareDeps, binaries: Binaries, saveFramesDir?: string,
): SamplerOptions {
  const { opened, media } = input;
  return {
    ffmpeg: binaries.ffmpeg,
    input: opened.input,
    width: size.width,
    height: size.height,
    fit: options.fit,
    frameFormat: options.frameFormat,
    keyframes: options.sampling.keyframes,
    startTime: media.startTime,
    stillImage: media.stillImage,
    timeoutMs: options.frameTimeoutMs,
    signal: deps.signal,
    concurrency: options.sampleConcurrency,
    saveFramesDir,
    method: options.sampler,
    media: { container: media.container, codec: media.codec, width: media.width, height: media.height, frameRate: media.frameRate, duration: media.duration, clockJumps: media.clockJumps },
    rotation: media.rotation,
    sizeBytes: opened.sizeBytes,
    onNote: (message) => deps.messages.debug(`${opened.source}: ${message}`),
  };
}

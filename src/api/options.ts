/**
 * The library's options, as data with the CLI's defaults, turned into the run
 * engine's settings; and the events a run reports through `onEvent`.
 */
import os from 'node:os';
import type { FitMode } from '../core/preprocess.js';
import { DEFAULT_FRAMES, DEFAULT_SCENE_THRESHOLD, MAX_FRAMES, type SamplingSettings } from '../core/sampling-plan.js';
import type { FrameFormat } from '../media/decode/frame-output.js';
import type { SamplingMethod } from '../media/sampling/sampler-options.js';
import { OptionError } from '../run/errors.js';
import type { Messages, Progress } from '../run/events.js';
import type { InputSampling } from '../run/prepare-input.js';

/** Which frames, and how they are decoded (the CLI's sampling flags; times in seconds). */
export interface SamplingOptions {
  /** Evenly spaced frames (default 150); with `scenes`, the most to keep. */
  readonly frames?: number | undefined;
  /** A frame every so many seconds. */
  readonly every?: number | undefined;
  /** Frames at these times. */
  readonly at?: readonly number[] | undefined;
  /** Frames at scene changes: true, or the change score (0–1, default 0.3). */
  readonly scenes?: boolean | number | undefined;
  /** Decode only keyframes: each frame is the keyframe at or before its time. */
  readonly keyframes?: boolean | undefined;
  readonly start?: number | undefined;
  readonly end?: number | undefined;
  /** How frames fit the model input (or `size`): crop (default) or stretch. */
  readonly fit?: FitMode | undefined;
  readonly sampler?: SamplingMethod | undefined;
  /** Decoders (ffmpeg processes) at once; default one per core. */
  readonly sampleConcurrency?: number | undefined;
  /** Give up decoding one frame after this long (default 60 000). */
  readonly frameTimeoutMs?: number | undefined;
  /** An ffmpeg binary (ffprobe is looked for beside it); else FFMPEG_PATH, PATH, the bundled one. */
  readonly ffmpeg?: string | undefined;
  /** For s3:// inputs and models. */
  readonly aws?: { readonly profile?: string; readonly region?: string; readonly s3Endpoint?: string; readonly env?: NodeJS.ProcessEnv } | undefined;
  /** Stops the run: frames in flight finish, the rest are left out, the report says interrupted. */
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
}

/** What a run reports as it goes. Messages are the lines the CLI prints (`framescore: …`), without the prefix. */
export type RunEvent =
  | { readonly type: 'message'; readonly level: 'info' | 'warn' | 'error' | 'debug'; readonly message: string }
  | { readonly type: 'progress'; readonly source: string; readonly total: number; readonly sampled: number; readonly done: number; readonly failed: number };

export function inputSampling(options: SamplingOptions, frameFormat: FrameFormat): InputSampling {
  const concurrency = options.sampleConcurrency ?? os.availableParallelism();
  integer(concurrency, 'sampleConcurrency', 1, 64);
  const timeout = options.frameTimeoutMs ?? 60_000;
  if (!(timeout > 0)) throw new OptionError(`frameTimeoutMs ${timeout} must be more than 0`);
  return {
    sampling: samplingSettings(options),
    fit: oneOf(options.fit ?? 'crop', 'fit', ['crop', 'stretch']),
    frameFormat: oneOf(frameFormat, 'frameFormat', ['lossless', 'jpeg']),
    sampler: oneOf(options.sampler ?? 'auto', 'sampler', ['auto', 'indexed', 'seek', 'sequential']),
    sampleConcurrency: concurrency,
    frameTimeoutMs: timeout,
    context: { profile: options.aws?.profile, region: options.aws?.region, s3Endpoint: options.aws?.s3Endpoint, env: options.aws?.env },
  };
}

function samplingSettings(options: SamplingOptions): SamplingSettings {
  const chosen = (['every', 'at', 'scenes'] as const).filter((name) => options[name] !== undefined && options[name] !== false);
  if (chosen.length > 1) throw new OptionError(`${chosen.join(' and ')} cannot be used together`);
  if (options.frames !== undefined && (options.every !== undefined || options.at !== undefined)) throw new OptionError(`frames cannot be used with ${chosen[0]}`);
  const frames = integer(options.frames ?? DEFAULT_FRAMES, 'frames', 1, MAX_FRAMES);
  const { start, end } = options;
  for (const [name, value] of [['start', start], ['end', end]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new OptionError(`${name} ${value} must be a time in seconds, 0 or more`);
  }
  if (start !== undefined && end !== undefined && end <= start) throw new OptionError(`end ${end} must be after start ${start}`);
  const base = { keyframes: options.keyframes === true, start, end };
  if (options.every !== undefined) {
    if (!(options.every > 0 && options.every <= 86_400)) throw new OptionError(`every ${options.every} must be more than 0 and at most 86400 seconds`);
    return { ...base, mode: { kind: 'every', seconds: options.every } };
  }
  if (options.at !== undefined) {
    if (options.at.length === 0 || options.at.some((time) => !(Number.isFinite(time) && time >= 0))) throw new OptionError('at must list times in seconds, 0 or more');
    return { ...base, mode: { kind: 'at', times: [...options.at] } };
  }
  if (options.scenes !== undefined && options.scenes !== false) {
    const threshold = options.scenes === true ? DEFAULT_SCENE_THRESHOLD : options.scenes;
    if (!(threshold > 0 && threshold <= 1)) throw new OptionError(`scenes ${threshold} must be more than 0 and at most 1`);
    return { ...base, mode: { kind: 'scenes', threshold, maxFrames: frames } };
  }
  return { ...base, mode: { kind: 'count', frames } };
}

export function integer(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new OptionError(`${name} ${value} must be a whole number from ${min} to ${max}`);
  return value;
}

export function oneOf<T extends string>(value: T, name: string, choices: readonly T[]): T {
  if (!choices.includes(value)) throw new OptionError(`${name} "${value}" must be one of ${choices.join(', ')}`);
  return value;
}

/** The engine's callbacks, as events to `onEvent` (nothing when there is none). */
export function eventSinks(onEvent: SamplingOptions['onEvent']): { messages: Messages; progress: Progress } {
  const emit = onEvent ?? (() => {});
  const message = (level: 'info' | 'warn' | 'error' | 'debug') => (text: string): void => { emit({ type: 'message', level, message: text }); };
  let state = { source: '', total: 0, sampled: 0, done: 0, failed: 0 };
  const report = (): void => { emit({ type: 'progress', ...state }); };
  return {
    messages: { info: message('info'), warn: message('warn'), error: message('error'), debug: message('debug') },
    progress: {
      begin(source, total) { state = { source, total, sampled: 0, done: 0, failed: 0 }; },
      sampled() { state.sampled += 1; report(); },
      classified(failed) { state.done += 1; if (failed) state.failed += 1; report(); },
      end() {},
    },
  };
}

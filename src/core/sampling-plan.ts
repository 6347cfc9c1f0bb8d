import { InputError } from './errors.js';
import { formatTimecode, roundSeconds } from './timestamps.js';

/** How frames are chosen. `keyframes` is a separate switch: it changes how a time is decoded, not which. */
export type SamplingMode =
  | { readonly kind: 'count'; readonly frames: number }
  | { readonly kind: 'every'; readonly seconds: number }
  | { readonly kind: 'at'; readonly times: readonly number[] }
  | { readonly kind: 'scenes'; readonly threshold: number; readonly maxFrames: number };

export interface SamplingSettings {
  readonly mode: SamplingMode;
  /** Decode only keyframes: each frame is the keyframe at or before the requested time. */
  readonly keyframes: boolean;
  readonly start?: number | undefined;
  readonly end?: number | undefined;
}

export interface MediaTiming {
  /** Seconds; 0 for a still image. */
  readonly duration: number;
  /** Frames per second, used to keep requests inside the last frame when its time is unknown. */
  readonly frameRate: number;
  /** Time of the last frame shown, when known (the probe scans the stream's end). */
  readonly lastFrameTime?: number | undefined;
}

export interface PlannedFrame {
  readonly index: number;
  /** The time decoded: the time asked for, or the last frame's when that was asked after it. */
  readonly requestedTime: number;
  /** The time asked for, when it lies after the last frame (the report shows this one). */
  readonly askedTime?: number | undefined;
}

export interface SceneChange {
  readonly time: number;
  readonly score: number;
}

export const DEFAULT_FRAMES = 150;
export const DEFAULT_SCENE_THRESHOLD = 0.3;
export const MAX_FRAMES = 100_000;

/** The window [start, end) the plan may use, checked against the media. */
export function samplingWindow(settings: SamplingSettings, media: MediaTiming): { start: number; end: number } {
  const start = settings.start ?? 0;
  const end = Math.min(settings.end ?? media.duration, media.duration);
  if (start < 0) throw new InputError(`--start ${start} is negative`);
  if (media.duration > 0 && start >= media.duration) {
    throw new InputError(`--start ${formatTimecode(start)} is at or beyond the end of the video (${formatTimecode(media.duration)})`);
  }
  if (settings.end !== undefined && settings.end <= start) {
    throw new InputError(`--end ${formatTimecode(settings.end)} is not after --start ${formatTimecode(start)}`);
  }
  return { start, end };
}

/**
 * Plans which times to decode. Evenly spaced frames sit at the middle of N equal
 * slices of the window, which avoids the black first frame and the fade at the end.
 * Scene plans need the scene changes found by a decoder pass; see planFromScenes.
 */
export function planFrames(settings: SamplingSettings, media: MediaTiming): PlannedFrame[] {
  if (media.duration <= 0) return [{ index: 0, requestedTime: 0 }];
  const { start, end } = samplingWindow(settings, media);
  const last = lastFrameTime(media);
  const mode = settings.mode;
  let times: number[];
  switch (mode.kind) {
    case 'count': {
      const slice = (end - start) / mode.frames;
      times = Array.from({ length: mode.frames }, (_, i) => start + (i + 0.5) * slice);
      break;
    }
    case 'every': {
      const count = Math.min(MAX_FRAMES, Math.ceil((end - start) / mode.seconds - 1e-9));
      times = Array.from({ length: count }, (_, i) => start + i * mode.seconds);
      break;
    }
    case 'at': {
      for (const time of mode.times) {
        if (time > media.duration) {
          throw new InputError(`--at ${formatTimecode(time)} is beyond the end of the video (${formatTimecode(media.duration)})`);
        }
      }
      times = [...mode.times];
      break;
    }
    case 'scenes':
      throw new Error('scene plans are made by planFromScenes after detection');
  }
  return times.map((time, index) => clampToLastFrame(index, time, last));
}

/**
 * The first frame of the window plus the strongest scene changes, at most maxFrames
 * in all, in time order.
 */
export function planFromScenes(changes: readonly SceneChange[], settings: SamplingSettings, media: MediaTiming): PlannedFrame[] {
  const mode = settings.mode;
  if (mode.kind !== 'scenes') throw new Error('planFromScenes needs a scenes mode');
  const { start, end } = samplingWindow(settings, media);
  const inWindow = changes.filter((change) => change.time > start && change.time < end && change.score >= mode.threshold);
  const strongest = [...inWindow].sort((a, b) => b.score - a.score || a.time - b.time).slice(0, Math.max(0, mode.maxFrames - 1));
  const times = [start, ...strongest.map((change) => change.time)].sort((a, b) => a - b);
  return times.map((time, index) => clampToLastFrame(index, time, lastFrameTime(media)));
}

/**
 * For results of `plan` as they come back: a frame planned at the last frame for a time
 * after it is reported at the time asked for (see clampToLastFrame).
 */
export function withAskedTimes(plan: readonly PlannedFrame[]): <T extends { readonly index: number; readonly requestedTime: number }>(frame: T) => T {
  const asked = new Map(plan.flatMap((planned) => (planned.askedTime === undefined ? [] : [[planned.index, planned.askedTime] as const])));
  return (frame) => {
    const askedTime = asked.get(frame.index);
    return askedTime === undefined ? frame : { ...frame, requestedTime: askedTime };
  };
}

/**
 * A time after the last frame gets the last frame, the picture on screen then: it is
 * decoded at the last frame's time and reported at the time asked for.
 */
function clampToLastFrame(index: number, time: number, last: number): PlannedFrame {
  const asked = roundSeconds(time);
  const decoded = roundSeconds(Math.min(time, last));
  return decoded < asked ? { index, requestedTime: decoded, askedTime: asked } : { index, requestedTime: asked };
}

function lastFrameTime(media: MediaTiming): number {
  if (media.lastFrameTime !== undefined && media.lastFrameTime >= 0) return Math.min(media.lastFrameTime, media.duration);
  const frame = media.frameRate > 0 ? 1 / media.frameRate : 0.04;
  return Math.max(0, media.duration - frame);
}

/** A one-line description of the settings, for progress messages and reports. */
export function describeSampling(settings: SamplingSettings): string {
  const mode = settings.mode;
  const base =
    mode.kind === 'count' ? `${mode.frames} evenly spaced frames`
    : mode.kind === 'every' ? `a frame every ${mode.seconds} s`
    : mode.kind === 'at' ? `${mode.times.length} given times`
    : `scene changes over ${mode.threshold} (at most ${mode.maxFrames})`;
  return settings.keyframes ? `${base}, nearest keyframes` : base;
}

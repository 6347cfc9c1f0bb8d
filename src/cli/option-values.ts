import { parseTime, parseTimeList } from '../core/timestamps.js';
import { DEFAULT_FRAMES, DEFAULT_SCENE_THRESHOLD, MAX_FRAMES, type SamplingSettings } from '../core/sampling-plan.js';
import { REPORT_FORMATS, type ReportFormat } from '../core/report-formats.js';
import { UsageError } from './errors.js';

/** Parses "--name value" as an integer in [min, max], or says which option is wrong. */
export function parseInteger(value: string, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${option} "${value}" must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`);
  }
  return n;
}

export function parseNumber(value: string, option: string, min: number, max: number, { exclusiveMin = false } = {}): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n > max || (exclusiveMin ? n <= min : n < min)) {
    throw new UsageError(`${option} "${value}" must be a number ${exclusiveMin ? 'above' : 'from'} ${min}${exclusiveMin ? ` and at most ${max}` : ` to ${max}`}`);
  }
  return n;
}

export function parseChoice<T extends string>(value: string, option: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${option} "${value}" must be one of ${choices.join(', ')}`);
  return value as T;
}

export function parseFormats(value: string): ReportFormat[] {
  const formats = value.split(',').map((part) => part.trim()).filter(Boolean);
  if (formats.length === 0) throw new UsageError(`--format "${value}" names no format`);
  return [...new Set(formats.map((format) => parseChoice(format, '--format', REPORT_FORMATS)))];
}

export interface SamplingFlags {
  readonly frames?: string | undefined;
  readonly every?: string | undefined;
  readonly at?: string | undefined;
  readonly scenes?: string | boolean | undefined;
  readonly keyframes?: boolean | undefined;
  readonly start?: string | undefined;
  readonly end?: string | undefined;
}

/** Turns the sampling flags into settings; --frames caps --scenes, otherwise the modes exclude each other. */
export function parseSampling(flags: SamplingFlags): SamplingSettings {
  const chosen = [flags.every !== undefined && '--every', flags.at !== undefined && '--at', flags.scenes !== undefined && flags.scenes !== false && '--scenes'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} cannot be used together`);
  if (flags.frames !== undefined && (flags.every !== undefined || flags.at !== undefined)) {
    throw new UsageError(`--frames cannot be used with ${flags.every !== undefined ? '--every' : '--at'}`);
  }
  const frames = flags.frames === undefined ? DEFAULT_FRAMES : parseInteger(flags.frames, '--frames', 1, MAX_FRAMES);
  const start = flags.start === undefined ? undefined : parseTime(flags.start, '--start');
  const end = flags.end === undefined ? undefined : parseTime(flags.end, '--end');
  if (start !== undefined && end !== undefined && end <= start) throw new UsageError(`--end "${flags.end}" must be after --start "${flags.start}"`);
  const base = { keyframes: flags.keyframes === true, start, end };
  if (flags.every !== undefined) return { ...base, mode: { kind: 'every', seconds: parseNumber(flags.every, '--every', 0, 86_400, { exclusiveMin: true }) } };
  if (flags.at !== undefined) return { ...base, mode: { kind: 'at', times: parseTimeList(flags.at, '--at') } };
  if (flags.scenes !== undefined && flags.scenes !== false) {
    const threshold = flags.scenes === true ? DEFAULT_SCENE_THRESHOLD : parseNumber(flags.scenes, '--scenes', 0, 1, { exclusiveMin: true });
    return { ...base, mode: { kind: 'scenes', threshold, maxFrames: frames } };
  }
  return { ...base, mode: { kind: 'count', frames } };
}

/** "--size 224x224": a frame's width and height in pixels. */
export function parseSize(value: string, option: string): { width: number; height: number } {
  const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(value);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width < 2 || height < 2 || width > 8192 || height > 8192) throw new UsageError(`${option} "${value}" must be WIDTHxHEIGHT, each from 2 to 8192 (e.g. 224x224)`);
  return { width, height };
}

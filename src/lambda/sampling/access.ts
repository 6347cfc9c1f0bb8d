/**
 * Whether this function samples videos itself, and which: only objects under the
 * prefixes in VIDEO_URI_PREFIXES (comma-separated s3://bucket/prefix/), decoded with
 * the ffmpeg at FFMPEG_PATH, else /opt/bin/ffmpeg (a layer), else on PATH.
 */
import { accessSync, constants } from 'node:fs';
import { uriUnderPrefixes } from '../../core/contract-sample.js';
import { readEnv, type Environment } from '../env.js';

export interface SamplingAccess {
  /** Why the function does not sample, when it does not. */
  readonly unavailable?: string | undefined;
  readonly prefixes: readonly string[];
  readonly ffmpeg: string;
}

export const LAYER_FFMPEG = '/opt/bin/ffmpeg';
const PREFIX = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(.*\/)?$/;

export function samplingAccess(env: Environment = process.env): SamplingAccess {
  const ffmpeg = readEnv('FFMPEG_PATH', env) ?? (executable(LAYER_FFMPEG) ? LAYER_FFMPEG : 'ffmpeg');
  const raw = readEnv('VIDEO_URI_PREFIXES', env);
  if (raw === undefined) return { unavailable: 'VIDEO_URI_PREFIXES is not set, so this function samples no videos', prefixes: [], ffmpeg };
  const prefixes = raw.split(',').map((prefix) => prefix.trim()).filter((prefix) => prefix !== '');
  const bad = prefixes.find((prefix) => !PREFIX.test(prefix));
  if (bad !== undefined) return { unavailable: `VIDEO_URI_PREFIXES holds "${bad}", not an s3://bucket/prefix/ URI ending in /`, prefixes: [], ffmpeg };
  if (readEnv('FFMPEG_PATH', env) !== undefined && !executable(ffmpeg)) return { unavailable: `FFMPEG_PATH="${ffmpeg}" is not an executable file`, prefixes, ffmpeg };
  return { prefixes, ffmpeg };
}

/** Whether the function may read this object: under one of its prefixes (a bucket-wide prefix is s3://bucket/). */
export function allowedUri(uri: string, access: SamplingAccess): boolean {
  return access.unavailable === undefined && uriUnderPrefixes(uri, access.prefixes);
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the fleet can sample a video where it lies: a pure function of the
 * opened input, its probe and what the function said of itself when probed.
 * The engine (executor.ts) asks it before choosing the fleet's combined executor.
 */
import { uriUnderPrefixes } from '../../core/contract-sample.js';
import type { SamplingCapability } from '../../core/contract.js';
import type { MediaInfo } from '../../media/probe.js';
import type { OpenedInput } from '../opened-input.js';

export type SampleOn = 'auto' | 'local' | 'lambda';
export const SAMPLE_ON: readonly SampleOn[] = ['auto', 'local', 'lambda'];

/** Why the function does not sample at all (undefined: it does). `capability` is its warm-up answer; absent from older functions. */
export function samplingUnavailable(capability: SamplingCapability | undefined): string | undefined {
  if (capability === undefined) return 'it predates sampling in the function';
  if (capability.available !== true) return capability.reason ?? 'no reason given';
  return undefined;
}

/** Why this input is sampled here rather than in the function (undefined: in the function). */
export function samplingRefusal(opened: OpenedInput, media: MediaInfo, capability: SamplingCapability | undefined): string | undefined {
  if (opened.s3 === undefined) return 'it is not an s3:// object';
  if (opened.s3.etag === '') return 'S3 did not give its ETag';
  if (media.stillImage) return 'it is a still image';
  // The function seeks each frame of an MPEG-TS on its raw clock; a joined file's continuous timeline needs the whole index.
  if (media.clockJumps === true) return 'its MPEG-TS clock jumps (files joined end to end): only a whole-file index gives ffmpeg\'s continuous timeline';
  const unavailable = samplingUnavailable(capability);
  if (unavailable !== undefined) return `the function does not sample (${unavailable})`;
  const prefixes = capability?.prefixes ?? [];
  const uri = `s3://${opened.s3.bucket}/${opened.s3.key}`;
  if (!uriUnderPrefixes(uri, prefixes)) return `${uri} is not under the function's VIDEO_URI_PREFIXES (${prefixes.join(', ') || 'none'})`;
  return undefined;
}

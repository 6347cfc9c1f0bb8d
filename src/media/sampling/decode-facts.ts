/**
 * What the planner weighs an input by: the probe's facts, and for an MP4/MOV the index's
 * frame count and keyframe times (read with the same sample-table reader the indexed path
 * uses; a few ms, ~150 ms for a 45,000-frame file).
 */
import { openByteSource } from '../source/byte-source.js';
import { readMp4VideoTrack } from '../mp4/video-track.js';
import type { SamplerOptions } from './sampler-options.js';
import type { DecodeFacts } from './strategy.js';

const INDEXABLE_CONTAINERS = /mp4|mov|matroska|webm|mpegts/;

export async function gatherDecodeFacts(options: SamplerOptions & { readonly media: NonNullable<SamplerOptions['media']> }): Promise<DecodeFacts> {
  const { media } = options;
  // Containers the indexed path may take (MKV, WebM and MPEG-TS are being added): only trying tells; others never.
  const base: DecodeFacts = { ...media, indexable: INDEXABLE_CONTAINERS.test(media.container) ? undefined : false };
  if (!/mp4|mov/.test(media.container)) return base;
  let source;
  try {
    source = await openByteSource(options.input, options.sizeBytes);
  } catch {
    return base;
  }
  try {
    const reading = await readMp4VideoTrack(source);
    if ('unsupported' in reading) return { ...base, indexable: false };
    const { track } = reading;
    const keyframeTimes = [...track.shown].filter((sample) => track.keyframes[sample] === 1).map((sample) => Math.max(0, track.times[sample]! - options.startTime));
    return { ...base, frameCount: track.sampleCount, keyframeTimes };
  } catch {
    return { ...base, indexable: false };
  } finally {
    await source.close();
  }
}

/**
 * Samples a video the way `classify` does (openInput → ffprobe → plan →
 * sampler), without the model: for comparing S3 with local disk.
 */
import os from 'node:os';
import { frameBytes } from './frames.js';
import { planFrames, type SamplingSettings } from '../../src/core/sampling-plan.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { probeMedia } from '../../src/media/probe.js';
import { openInput, type InputContext } from '../../src/run/input.js';
import { sampleFrames, type SamplingMethod } from '../../src/media/sampling/sampler.js';

export interface Sampled {
  readonly index: number;
  readonly requestedTime: number;
  readonly actualTime: number | null;
  /** The JPEG ffmpeg produced, or the failure message. */
  readonly jpeg?: Buffer;
  readonly failure?: string;
}

export async function sampleVideo(spec: string, context: InputContext, settings: SamplingSettings, method: SamplingMethod = 'auto'): Promise<{ frames: Sampled[]; sizeBytes: number | undefined; duration: number; notes: string[] }> {
  const { ffmpeg, ffprobe } = resolveBinaries();
  const opened = await openInput(spec, context);
  const media = await probeMedia(ffprobe, opened.input, opened.source, { sizeBytes: opened.sizeBytes });
  const plan = planFrames(settings, { duration: media.duration, frameRate: media.frameRate });
  const frames: Sampled[] = [];
  const notes: string[] = [];
  for await (const frame of sampleFrames(plan, {
    ffmpeg, input: opened.input, width: 224, height: 224, fit: 'crop', keyframes: settings.keyframes,
    startTime: media.startTime, stillImage: media.stillImage, timeoutMs: 120_000, concurrency: os.availableParallelism(),
    method, rotation: media.rotation, sizeBytes: opened.sizeBytes, onNote: (note) => notes.push(note),
  })) {
    frames.push(frame.status === 'sampled'
      ? { index: frame.index, requestedTime: frame.requestedTime, actualTime: frame.actualTime, jpeg: frameBytes(frame.image) }
      : { index: frame.index, requestedTime: frame.requestedTime, actualTime: null, failure: frame.message });
  }
  frames.sort((a, b) => a.index - b.index);
  return { frames, sizeBytes: opened.sizeBytes, duration: media.duration, notes };
}

export function countSettings(frames: number, keyframes: boolean): SamplingSettings {
  return { keyframes, start: undefined, end: undefined, mode: { kind: 'count', frames } };
}

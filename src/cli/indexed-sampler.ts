/**
 * The fast sampling path for MP4/MOV with H.264, which is most broadcast files: read
 * the sample table once, then per requested frame feed only the coded frames it needs
 * (its keyframe, the reference frames after it, itself) to one long-lived ffmpeg per
 * core. No process start and no file open per frame; keyframe sampling decodes one
 * frame per sample. A frame this path cannot produce falls back to the per-frame seek.
 */
import type { PlannedFrame } from '../core/sampling-plan.js';
import type { SampledFrame } from '../core/results.js';
import { lateFrameError } from './ffmpeg/extract.js';
import { StreamDecoder } from './ffmpeg/stream-decoder.js';
import { openByteSource, type ByteSource } from './mp4/byte-source.js';
import { FrameChooser } from './mp4/frame-choice.js';
import { readSegment, type CodedSegment } from './mp4/segment.js';
import { readMp4VideoTrack, type Mp4VideoTrack } from './mp4/video-track.js';
import { settleFrame, type SamplerOptions } from './sampler.js';

/** Finished frames waiting for the consumer before the decoders pause. */
const MAX_WAITING_RESULTS = 32;

/** Opens and indexes the input; a string says why it cannot take the fast path. */
export async function openIndexedVideo(options: SamplerOptions): Promise<IndexedVideo | string> {
  let source: ByteSource;
  try {
    source = await openByteSource(options.input, options.sizeBytes);
  } catch (error) {
    return `cannot open it for reading: ${(error as Error).message}`;
  }
  try {
    const reading = await readMp4VideoTrack(source);
    if ('unsupported' in reading) {
      await source.close();
      return reading.unsupported;
    }
    options.onNote?.(`indexed ${reading.track.sampleCount} frames; decoding with ${options.concurrency} long-lived ffmpeg`);
    return new IndexedVideo(source, reading.track, options);
  } catch (error) {
    await source.close();
    return `cannot index it: ${(error as Error).message}`;
  }
}

type Prepared = { readonly segment: CodedSegment; readonly time: number } | { readonly result: SampledFrame } | { readonly fallback: string };

export class IndexedVideo {
  private readonly chooser: FrameChooser;

  constructor(private readonly source: ByteSource, private readonly track: Mp4VideoTrack, private readonly options: SamplerOptions) {
    this.chooser = new FrameChooser(track);
  }

  /** Decodes the planned frames across one decoder per core, yielding each as it is ready. */
  async *sample(plan: readonly PlannedFrame[], seekOne: (planned: PlannedFrame) => Promise<SampledFrame>): AsyncGenerator<SampledFrame> {
    const { signal } = this.options;
    const waiting: SampledFrame[] = [];
    let wakeConsumer: (() => void) | undefined;
    let wakeLanes: (() => void)[] = [];
    let next = 0;
    let failure: { error: unknown } | undefined;

    const emit = (frame: SampledFrame | undefined): void => {
      if (frame) waiting.push(frame);
      wakeConsumer?.();
    };
    const room = async (): Promise<void> => {
      while (waiting.length >= MAX_WAITING_RESULTS && !failure) await new Promise<void>((resolve) => wakeLanes.push(resolve));
    };
    const take = (): PlannedFrame | undefined => (signal?.aborted || failure ? undefined : plan[next++]);

    const lane = async (): Promise<void> => {
      let decoder: StreamDecoder | undefined;
      const inFlight = new Set<Promise<void>>();
      try {
        for (;;) {
          await room();
          const planned = take();
          if (planned === undefined) break;
          const prepared = await this.prepare(planned);
          if ('result' in prepared) emit(prepared.result);
          else if ('fallback' in prepared || decoder?.failed) emit(await seekOne(planned));
          else {
            decoder ??= new StreamDecoder({ ...this.options, decoderConfig: this.track.decoderConfig, rotation: this.options.rotation ?? 0 });
            while (!decoder.wantsMore) await decoder.settled();
            const { time } = prepared;
            const done: Promise<void> = decoder.decode(prepared.segment).then(
              (jpeg) => emit(settled(planned, jpeg, time)),
              // A frame the decoder could not give back still gets the per-frame path, unless the run was stopped.
              async () => emit(signal?.aborted ? undefined : await seekOne(planned)),
            ).finally(() => inFlight.delete(done));
            inFlight.add(done);
          }
        }
      } finally {
        await decoder?.end();
        await Promise.all(inFlight);
      }
    };

    const lanes = Promise.all(Array.from({ length: Math.max(1, Math.min(this.options.concurrency, plan.length)) }, lane)).then(
      () => {},
      (error: unknown) => { failure ??= { error }; },
    );
    let finished = false;
    void lanes.finally(() => { finished = true; wakeConsumer?.(); });

    while (!finished || waiting.length > 0) {
      if (waiting.length > 0) {
        yield waiting.shift()!;
        for (const wake of wakeLanes) wake();
        wakeLanes = [];
        continue;
      }
      await new Promise<void>((resolve) => { wakeConsumer = resolve; });
      wakeConsumer = undefined;
    }
    if (failure) throw failure.error;
  }

  close(): Promise<void> {
    return this.source.close();
  }

  /** Chooses the frame for a request and reads the coded frames it needs. */
  private async prepare(planned: PlannedFrame): Promise<Prepared> {
    const { startTime, keyframes, maxLateSeconds } = this.options;
    const target = this.chooser.target(startTime + planned.requestedTime, keyframes);
    if (target === undefined) return { fallback: 'no frame at or after that time' };
    // Microseconds, as ffmpeg prints them: no binary-fraction noise in reports.
    const time = Math.max(0, Math.round((this.track.times[target]! - startTime) * 1e6) / 1e6);
    const late = lateFrameError(planned.requestedTime, time, keyframes, maxLateSeconds);
    if (late) return { result: await settleFrame(planned, () => Promise.reject(late)) };
    const start = this.chooser.start(target);
    if (start === undefined) return { fallback: 'no keyframe before it' };
    try {
      const segment = await readSegment(this.source, this.track, start, target);
      return typeof segment === 'string' ? { fallback: segment } : { segment, time };
    } catch (error) {
      return { fallback: `cannot read its frames: ${(error as Error).message}` };
    }
  }
}

function settled(planned: PlannedFrame, jpeg: Buffer, time: number): SampledFrame {
  return { index: planned.index, requestedTime: planned.requestedTime, actualTime: time, status: 'sampled', jpeg };
}

/**
 * The fast sampling path for MP4/MOV (own sample-table reader) and Matroska/WebM/MPEG-TS
 * (mediabunny's demuxers) with H.264, HEVC or VP9: index the frames once, then per
 * requested frame feed only the coded frames it needs
 * (its keyframe, the reference frames after it, itself) to one long-lived ffmpeg per
 * core. No process start and no file open per frame; keyframe sampling decodes one
 * frame per sample. A frame this path cannot produce falls back to the per-frame seek.
 */
import pLimit from 'p-limit';
import type { FrameImage } from '../../core/image-decode.js';
import type { PlannedFrame } from '../../core/sampling-plan.js';
import type { SampledFrame } from '../../core/results.js';
import { StreamDecoder } from '../decode/stream-decoder.js';
import { openByteSource, type ByteSource } from '../source/byte-source.js';
import { createFeed } from '../feed/feed.js';
import { FrameChooser } from '../index/frame-choice.js';
import type { CodedSegment } from '../index/segment.js';
import { worthReadingAround } from '../matroska/matroska-index.js';
import { readVideoIndex } from '../formats.js';
import type { VideoIndex } from '../index/video-index.js';
import { groupSamples, planGops, type GopWork } from './gop-plan.js';
import { settleFrame, type SamplerOptions } from './sampler-options.js';

/** Finished frames waiting for the consumer before the decoders pause. */
const MAX_WAITING_RESULTS = 32;
/** Decoders in a row that stop without giving back a frame before a lane seeks per frame instead. */
const MAX_DECODER_RESTARTS = 3;

/**
 * Opens and indexes the input; a string says why it cannot take the fast path. Given the
 * plan, a Matroska/WebM index is read around its times only (see readDemuxedIndex).
 */
export async function openIndexedVideo(options: SamplerOptions, plan?: readonly PlannedFrame[]): Promise<IndexedVideo | string> {
  let source: ByteSource;
  try {
    source = await openByteSource(options.input, options.sizeBytes);
  } catch (error) {
    return `cannot open it for reading: ${(error as Error).message}`;
  }
  try {
    // Sparse times are read around (Matroska: the Cues; MPEG-TS: bisection), denser ones by a pass over the file.
    const times = plan?.map((planned) => options.startTime + planned.requestedTime) ?? [];
    const reading = await readVideoIndex(source, worthReadingAround(times, options.media?.duration) ? times : undefined);
    if ('unsupported' in reading) {
      await source.close();
      return reading.unsupported;
    }
    const { index } = reading;
    if (index.damage) options.onNote?.(index.damage);
    options.onNote?.(`indexed ${index.sampleCount} frames (${index.container}, ${index.codec})${index.partial ? ` ${index.partial}` : ''}; decoding with ${options.concurrency} long-lived ffmpeg`);
    return new IndexedVideo(source, index, options);
  } catch (error) {
    await source.close();
    return `cannot index it: ${(error as Error).message}`;
  }
}

export class IndexedVideo {
  private readonly chooser: FrameChooser;

  constructor(private readonly source: ByteSource, private readonly track: VideoIndex, private readonly options: SamplerOptions) {
    this.chooser = new FrameChooser(track);
  }

  /**
   * Decodes the planned frames across one decoder per core, yielding each as it is
   * ready. If the consumer stops early, the decoders are stopped and the lanes awaited.
   */
  async *sample(plan: readonly PlannedFrame[], seekOne: (planned: PlannedFrame) => Promise<SampledFrame>): AsyncGenerator<SampledFrame> {
    const { signal } = this.options;
    const waiting: SampledFrame[] = [];
    const decoders = new Set<StreamDecoder>();
    let wakeConsumer: (() => void) | undefined;
    let wakeLanes: (() => void)[] = [];
    const work = planGops(plan, this.track, this.chooser, this.options);
    let next = 0;
    let failure: { error: unknown } | undefined;
    let stopped = false;
    /** Why frames went to the per-frame seek, for --verbose. */
    const fellBack = new Map<string, number>();

    const halted = (): boolean => stopped || failure !== undefined || signal?.aborted === true;
    const wakeAll = (): void => {
      wakeConsumer?.();
      for (const wake of wakeLanes) wake();
      wakeLanes = [];
    };
    const fail = (error: unknown): void => {
      failure ??= { error };
      wakeAll();
    };
    const emit = (frame: SampledFrame): void => {
      if (!stopped) waiting.push(frame);
      wakeConsumer?.();
    };
    const room = async (): Promise<void> => {
      while (waiting.length >= MAX_WAITING_RESULTS && !halted()) await new Promise<void>((resolve) => wakeLanes.push(resolve));
    };
    const take = (): GopWork | undefined => (halted() ? undefined : work[next++]);
    // Frames the fast path cannot give back get the per-frame seek, unless the run is being
    // stopped; at most `concurrency` at once, however many a failed decoder hands back together.
    const seekLimit = pLimit(Math.max(1, this.options.concurrency));
    const fallback = async (planned: PlannedFrame, why: string): Promise<void> => {
      if (halted()) return;
      fellBack.set(why, (fellBack.get(why) ?? 0) + 1);
      const frame = await seekLimit(() => (halted() ? undefined : seekOne(planned)));
      if (frame !== undefined && !halted()) emit(frame);
    };

    const lane = async (): Promise<void> => {
      let decoder: StreamDecoder | undefined;
      let restarts = 0;
      const inFlight: Promise<void>[] = [];
      const retire = async (): Promise<void> => {
        if (decoder === undefined) return;
        await decoder.end();
        decoders.delete(decoder);
        decoder = undefined;
      };
      try {
        for (;;) {
          await room();
          const item = take();
          if (item === undefined) break;
          if ('late' in item) {
            emit(await settleFrame(item.planned, () => Promise.reject(item.late)));
            continue;
          }
          if ('fallback' in item) {
            await fallback(item.planned, item.fallback);
            continue;
          }
          const { start, members } = item.group;
          const samples = groupSamples(item.group);
          let segment: CodedSegment | string;
          try {
            segment = await this.track.readFrames(start, samples);
          } catch (error) {
            segment = `cannot read its frames: ${(error as Error).message}`;
          }
          // A decoder that stopped on damaged data is replaced; after several in a row that gave nothing back, the lane seeks per frame.
          if (decoder?.failed) {
            restarts = decoder.delivered > 0 ? 1 : restarts + 1;
            await retire();
          }
          if (typeof segment === 'string' || restarts > MAX_DECODER_RESTARTS || halted()) {
            const why = typeof segment === 'string' ? segment : 'the stream decoder kept failing';
            await Promise.all(members.map((member) => fallback(member.planned, why)));
            continue;
          }
          const newDecoder = (): StreamDecoder => {
            const made = new StreamDecoder({ ...this.options, feed: createFeed(this.track), rotation: this.options.rotation ?? 0, frameFormat: this.options.frameFormat ?? 'lossless' });
            decoders.add(made);
            return made;
          };
          const answer = (answers: Promise<FrameImage>[]): void => {
            for (const member of members) {
              inFlight.push(answers[samples.indexOf(member.sample)]!.then(
                (image) => emit(settled(member.planned, image, member.time)),
                (error: Error) => fallback(member.planned, error.message),
              ).catch(fail));
            }
          };
          if (segment.openGop) {
            // An open GOP's keyframe is not an IDR: decoding starts there only in a decoder with
            // nothing before it (whose reference frames and picture order would otherwise carry over).
            const fresh = newDecoder();
            answer(fresh.decode(segment));
            await fresh.end();
            decoders.delete(fresh);
            continue;
          }
          decoder ??= newDecoder();
          while (!decoder.wantsMore) await decoder.settled();
          answer(decoder.decode(segment));
        }
      } finally {
        await retire();
        await Promise.all(inFlight);
      }
    };

    let finished = false;
    const lanes = Promise.all(Array.from({ length: Math.max(1, Math.min(this.options.concurrency, work.length)) }, lane))
      .then(() => {}, fail)
      .finally(() => {
        finished = true;
        wakeConsumer?.();
      });
    try {
      while (!failure && (!finished || waiting.length > 0)) {
        if (waiting.length > 0) {
          yield waiting.shift()!;
          for (const wake of wakeLanes) wake();
          wakeLanes = [];
          continue;
        }
        await new Promise<void>((resolve) => { wakeConsumer = resolve; });
        wakeConsumer = undefined;
      }
    } finally {
      stopped = true;
      for (const decoder of decoders) decoder.kill();
      wakeAll();
      await lanes;
    }
    if (fellBack.size > 0) {
      const reasons = [...fellBack].map(([why, count]) => `${count}× ${why}`).join('; ');
      const total = [...fellBack.values()].reduce((a, b) => a + b, 0);
      this.options.onNote?.(`${total} frame${total === 1 ? '' : 's'} took the per-frame seek: ${reasons}`);
    }
    if (failure) throw failure.error;
  }

  async close(): Promise<void> {
    try {
      await this.track.close();
    } finally {
      await this.source.close();
    }
  }
}

function settled(planned: PlannedFrame, image: FrameImage, time: number): SampledFrame {
  return { index: planned.index, requestedTime: planned.requestedTime, actualTime: time, status: 'sampled', image };
}

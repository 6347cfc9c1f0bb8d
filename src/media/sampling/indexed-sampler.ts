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
import { readVideoIndex } from '../formats.js';
import type { VideoIndex } from '../index/video-index.js';
import { groupSamples, planGops, type GopMember, type GopWork } from './gop-plan.js';
import { ResultQueue } from './result-queue.js';
import { DecoderLanes, type LaneTask } from '../decode/decoder-lanes.js';
import { settleFrame, type SamplerOptions } from './sampler-options.js';

/** Finished frames waiting for the consumer before the decoders pause. */
const MAX_WAITING_RESULTS = 32;

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
    const reading = await readVideoIndex(source, { times, duration: options.media?.duration });
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
    const queue = new ResultQueue(MAX_WAITING_RESULTS, this.options.signal);
    const fellBack = new Map<string, number>();
    const fallback = this.fallback(queue, seekOne, fellBack);
    const work = planGops(plan, this.track, this.chooser, this.options);
    let next = 0;
    const lanes = new DecoderLanes<GopMember>({
      lanes: Math.min(this.options.concurrency, work.length),
      take: () => (queue.halted || next >= work.length ? undefined : this.task(work[next++]!, queue, fallback)),
      newDecoder: () => new StreamDecoder({ ...this.options, feed: createFeed(this.track), rotation: this.options.rotation ?? 0, frameFormat: this.options.frameFormat ?? 'lossless' }),
      decoded: (member, image) => queue.push(settled(member.planned, image, member.time)),
      missed: (member, why) => fallback(member.planned, why),
      halted: () => queue.halted,
      room: () => queue.room(),
      failed: (error) => queue.fail(error),
    });
    const running = lanes.run().then(() => {}, (error: unknown) => queue.fail(error)).finally(() => queue.finish());
    try {
      yield* queue.drain();
    } finally {
      queue.stop();
      lanes.kill();
      await running;
    }
    this.noteFallbacks(fellBack);
    queue.throwIfFailed();
  }

  /** What a lane does with one item of the plan: a frame that fails, a per-frame seek, or a walk of its group. */
  private task(item: GopWork, queue: ResultQueue, fallback: Fallback): LaneTask<GopMember> {
    if ('late' in item) return { run: async () => queue.push(await settleFrame(item.planned, () => Promise.reject(item.late))) };
    if ('fallback' in item) return { run: () => fallback(item.planned, item.fallback) };
    const { start, members } = item.group;
    const samples = groupSamples(item.group);
    return {
      walk: {
        read: () => this.track.readFrames(start, samples),
        members: members.map((member) => ({ request: member, answer: samples.indexOf(member.sample) })),
      },
    };
  }

  /**
   * The per-frame seek for frames the fast path cannot give back, unless the run is being
   * stopped; at most `concurrency` at once, however many a failed decoder hands back
   * together. Counts why, for --verbose.
   */
  private fallback(queue: ResultQueue, seekOne: (planned: PlannedFrame) => Promise<SampledFrame>, fellBack: Map<string, number>): Fallback {
    const seekLimit = pLimit(Math.max(1, this.options.concurrency));
    return async (planned, why) => {
      if (queue.halted) return;
      fellBack.set(why, (fellBack.get(why) ?? 0) + 1);
      const frame = await seekLimit(() => (queue.halted ? undefined : seekOne(planned)));
      if (frame !== undefined && !queue.halted) queue.push(frame);
    };
  }

  private noteFallbacks(fellBack: ReadonlyMap<string, number>): void {
    if (fellBack.size === 0) return;
    const reasons = [...fellBack].map(([why, count]) => `${count}× ${why}`).join('; ');
    const total = [...fellBack.values()].reduce((a, b) => a + b, 0);
    this.options.onNote?.(`${total} frame${total === 1 ? '' : 's'} took the per-frame seek: ${reasons}`);
  }

  async close(): Promise<void> {
    try {
      await this.track.close();
    } finally {
      await this.source.close();
    }
  }
}

type Fallback = (planned: PlannedFrame, why: string) => Promise<void>;

function settled(planned: PlannedFrame, image: FrameImage, time: number): SampledFrame {
  return { index: planned.index, requestedTime: planned.requestedTime, actualTime: time, status: 'sampled', image };
}

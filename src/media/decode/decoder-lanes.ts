/**
 * Decoder lanes: where group-of-pictures walks become pictures, for local sampling and
 * for the function's decode jobs alike. Each lane keeps one long-lived ffmpeg and feeds
 * it walk after walk, so no process starts and no file opens per frame. An open GOP (its
 * keyframe is not an IDR) gets a fresh decoder of its own; a decoder that stopped on
 * damaged data is replaced, and once several in a row gave nothing back the lane hands its
 * walks' requests back as missed. What is missed is the caller's to answer (the per-frame
 * seek, or a failure): the lanes know nothing of files, S3 or deadlines.
 */
import type { FrameImage } from '../../core/image-decode.js';
import type { CodedSegment } from '../index/segment.js';
import type { StreamDecoder } from './stream-decoder.js';

/** Decoders in a row that stop without giving back a frame before a lane stops decoding. */
export const MAX_DECODER_RESTARTS = 3;

/** One walk of a group of pictures and the requests it answers. */
export interface Walk<T> {
  /** Its coded frames (decode order; `targets` the distinct frames asked for), or why they cannot be read. */
  read(): Promise<CodedSegment | string>;
  /** Each request with the position, in the segment's `targets`, of the frame that answers it. */
  readonly members: ReadonlyArray<{ readonly request: T; readonly answer: number }>;
}

/** What a lane does in its turn: a walk, or other work that takes a lane (a seek, reporting a failure). */
export type LaneTask<T> = { readonly walk: Walk<T> } | { readonly run: () => Promise<void> };

export interface LaneOptions<T> {
  /** Lanes at once (one ffmpeg each): about one per core. */
  readonly lanes: number;
  /** The next task, asked for when a lane is free; undefined when none is left. */
  take(): LaneTask<T> | undefined;
  newDecoder(): StreamDecoder;
  decoded(request: T, image: FrameImage): void;
  /** A request no walk answered, and why: the caller seeks it per frame or fails it. */
  missed(request: T, why: string): Promise<void>;
  /** Whether the work is being stopped: walks not yet fed are handed back as missed. */
  halted(): boolean;
  /** Resolves when more results may be made (the consumer keeps up). */
  room?(): Promise<void>;
  /** A callback threw: the work cannot go on. */
  failed?(error: unknown): void;
}

export class DecoderLanes<T> {
  private readonly decoders = new Set<StreamDecoder>();

  constructor(private readonly options: LaneOptions<T>) {}

  /** Runs the lanes until `take` has nothing left and every answer is in. */
  async run(): Promise<void> {
    await Promise.all(Array.from({ length: Math.max(1, this.options.lanes) }, () => this.lane()));
  }

  /** Stops every decoder at once (the consumer stopped); their requests come back as missed. */
  kill(): void {
    for (const decoder of this.decoders) decoder.kill();
  }

  private newDecoder(): StreamDecoder {
    const decoder = this.options.newDecoder();
    this.decoders.add(decoder);
    return decoder;
  }

  private async retire(decoder: StreamDecoder): Promise<void> {
    await decoder.end();
    this.decoders.delete(decoder);
  }

  private async lane(): Promise<void> {
    const { options } = this;
    let decoder: StreamDecoder | undefined;
    let restarts = 0;
    // Frames come out only once enough frames follow them or the stream ends: feed walks, end, then collect.
    const inFlight: Promise<void>[] = [];
    try {
      for (;;) {
        await options.room?.();
        const task = options.take();
        if (task === undefined) break;
        if ('run' in task) {
          await task.run();
          continue;
        }
        const { walk } = task;
        const segment = await walk.read().catch((error: unknown) => `cannot read its frames: ${(error as Error).message}`);
        // A decoder that stopped on damaged data is replaced; after several in a row that gave nothing back, the lane stops decoding.
        if (decoder?.failed) {
          restarts = decoder.delivered > 0 ? 1 : restarts + 1;
          await this.retire(decoder);
          decoder = undefined;
        }
        if (typeof segment === 'string' || restarts > MAX_DECODER_RESTARTS || options.halted()) {
          const why = typeof segment === 'string' ? segment : 'the stream decoder kept failing';
          await Promise.all(walk.members.map((member) => options.missed(member.request, why)));
          continue;
        }
        if (segment.openGop) {
          // An open GOP's keyframe is not an IDR: decoding starts there only in a decoder with
          // nothing before it (whose reference frames and picture order would otherwise carry over).
          const fresh = this.newDecoder();
          inFlight.push(...this.answer(walk, fresh.decode(segment)));
          await this.retire(fresh);
          continue;
        }
        decoder ??= this.newDecoder();
        while (!decoder.wantsMore && !decoder.failed) await decoder.settled();
        inFlight.push(...this.answer(walk, decoder.decode(segment)));
      }
    } finally {
      if (decoder !== undefined) await this.retire(decoder);
      await Promise.all(inFlight);
    }
  }

  /** Each member's answer: its picture, or missed with the decoder's reason. */
  private answer(walk: Walk<T>, answers: readonly Promise<FrameImage>[]): Promise<void>[] {
    const { options } = this;
    return walk.members.map((member) => answers[member.answer]!.then(
      (image) => options.decoded(member.request, image),
      (error: Error) => options.missed(member.request, error.message),
    ).catch((error: unknown) => options.failed?.(error)));
  }
}

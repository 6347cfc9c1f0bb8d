/**
 * One video on the shared fleet, with its own statistics. Frames sampled here
 * stream in, are grouped into batches and scored as they arrive; results come
 * back in completion order. The sampler is read only while the pool has room
 * (Capacity), so a long video never piles up in memory. When the fleet samples
 * the video itself (sample-and-score.ts), its invocations count here too.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { SampleFigures } from '../../core/contract-sample.js';
import { failedFrame, type FrameResult, type SampledFrame } from '../../core/results.js';
import { toWireImage, wireImageBytes } from '../../core/wire-image.js';
import { Batcher, chooseBatchSize } from './batching.js';
import type { FanoutPool, WireFrame } from './fanout.js';
import type { OpenedInput } from '../opened-input.js';
import type { ScoringSession } from '../scorer.js';
import { Telemetry, type LambdaRunFacts } from './telemetry.js';

interface Item {
  readonly frame: WireFrame;
  readonly bytes: number;
}

export interface SessionFacts extends LambdaRunFacts {
  readonly batchSize: number;
}

/** report.run.lambda: one video's share of the fleet. */
export interface FleetVideoFacts extends SessionFacts {
  readonly function: string;
  readonly qualifier?: string;
  readonly concurrency: { readonly requested: number; readonly limit: number; readonly minLimit: number; readonly decreases: number; readonly sustained: number; readonly peak: number };
  /** Present when the fleet sampled the video itself. */
  readonly sampling?: {
    readonly invocations: number; readonly functionBytesRead: number; readonly getRequests: number; readonly framesDecoded: number;
    readonly decodeMs: number; readonly clientBytesRead: number; readonly objectBytes: number | null;
    /** Group-of-pictures walks and per-frame seeks the function made (counted by functions that report them). */
    readonly gopWalks: number; readonly seeks: number;
  };
}

/** What the function's sampling cost, summed over one video's invocations. */
export class SamplingFigures {
  invocations = 0;
  bytesRead = 0;
  getRequests = 0;
  framesDecoded = 0;
  decodeMs = 0;
  gopWalks = 0;
  seeks = 0;

  add(media: SampleFigures): void {
    this.invocations += 1;
    this.bytesRead += media.bytesRead;
    this.getRequests += media.getRequests;
    this.framesDecoded += media.framesDecoded;
    this.decodeMs += media.decodeMs;
    this.gopWalks += media.gopWalks ?? 0;
    this.seeks += media.seeks ?? 0;
  }
}

export class FleetSession implements ScoringSession {
  readonly telemetry = new Telemetry();
  readonly figures = new SamplingFigures();
  readonly batchSize: number;
  /** The video, when the fleet sampled it (its report says what sampling cost). */
  private sampled: OpenedInput | undefined;

  constructor(private readonly pool: FanoutPool, expectedFrames: number) {
    this.batchSize = chooseBatchSize(pool.options.batchSize, expectedFrames, pool.options.concurrency);
  }

  async *score(frames: AsyncIterable<SampledFrame>): AsyncGenerator<FrameResult> {
    const pool = this.pool;
    const batcher = new Batcher<Item>(this.batchSize, pool.maxRequestBytes);
    const finished: FrameResult[] = [];
    let running = 0;
    let readerDone = false;
    let readerError: { error: unknown } | undefined;
    // Set when the consumer stops early: the reader stops pulling frames and invoking.
    let abandoned = false;
    const halted = (): boolean => pool.stopped || abandoned;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };

    const submit = async (batch: Item[]): Promise<void> => {
      await pool.capacity.acquire(halted);
      if (abandoned) {
        pool.capacity.release();
        return;
      }
      running += 1;
      void pool.scoreBatch(batch.map((item) => item.frame), this.telemetry).then((results) => {
        finished.push(...results);
      }).finally(() => {
        running -= 1;
        pool.capacity.release();
        notify();
      });
    };

    const reader = (async () => {
      try {
        for await (const frame of frames) {
          if (frame.status === 'failed') {
            finished.push(failedFrame(frame, frame.code, frame.message));
            notify();
            continue;
          }
          const wire = await toWireImage(frame.image);
          const position = { index: frame.index, requestedTime: frame.requestedTime, actualTime: frame.actualTime };
          const item = { frame: { position, wire }, bytes: wireImageBytes(wire) };
          if (!batcher.fits(item)) {
            finished.push(failedFrame(frame, 'FRAME_TOO_LARGE', `frame is ${item.bytes} bytes encoded; an invocation carries at most ${pool.maxRequestBytes} bytes of base64 JSON`));
            notify();
            continue;
          }
          for (const batch of batcher.add(item)) {
            await submit(batch);
            // Let I/O run between requests: with frames already at hand the loop would otherwise prepare and
            // sign every request in microtasks before the first one reaches the socket.
            await yieldToEventLoop();
          }
          if (halted()) break;
        }
        if (!halted()) for (const batch of batcher.flush()) await submit(batch);
      } catch (error) {
        readerError = { error };
      } finally {
        readerDone = true;
        notify();
      }
    })();

    try {
      while (true) {
        if (finished.length > 0) {
          yield finished.shift()!;
          continue;
        }
        if (readerDone && running === 0) break;
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    } finally {
      // A consumer that stops early (break, an error): the reader leaves its loop, which
      // ends the sampler's generator and closes what it holds open (the video's file).
      if (!readerDone) {
        abandoned = true;
        pool.capacity.wakeAll();
      }
      await reader;
    }
    if (pool.fatal !== undefined) throw pool.fatal;
    if (readerError !== undefined) throw readerError.error;
  }

  sampledInFleet(opened: OpenedInput): void {
    this.sampled = opened;
  }

  /** Invocation statistics (the pool's alone, without the report's function and concurrency). */
  invocationFacts(wallMs: number): SessionFacts {
    return { batchSize: this.batchSize, ...this.telemetry.facts(wallMs, this.pool.options.prices) };
  }

  /** What report.run.lambda records: the function, this video's invocations and cost, the limit settled on, what sampling read. */
  facts(wallMs: number): FleetVideoFacts {
    const { target, concurrency } = this.pool.options;
    const facts = this.invocationFacts(wallMs);
    const sampled = this.sampled;
    return {
      function: target.functionName,
      ...(target.qualifier === undefined ? {} : { qualifier: target.qualifier }),
      ...facts,
      concurrency: { requested: concurrency, ...this.pool.aimd.stats(), sustained: facts.sustainedConcurrency, peak: facts.peakConcurrency },
      ...(sampled === undefined ? {} : {
        sampling: {
          invocations: this.figures.invocations, functionBytesRead: this.figures.bytesRead, getRequests: this.figures.getRequests,
          framesDecoded: this.figures.framesDecoded, decodeMs: Math.round(this.figures.decodeMs), clientBytesRead: sampled.fetchedBytes?.() ?? 0,
          objectBytes: sampled.sizeBytes ?? null, gopWalks: this.figures.gopWalks, seeks: this.figures.seeks,
        },
      }),
    };
  }
}

/**
 * One video's frames through the shared pool: frames stream in from the
 * sampler, are grouped into batches and scored as they arrive; results come
 * back in completion order. The sampler is read only while the pool has room
 * (Capacity), so a long video never piles up in memory.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { failedFrame, type FrameResult, type SampledFrame } from '../../core/results.js';
import { toWireImage, wireImageBytes } from '../../core/wire-image.js';
import { Batcher, chooseBatchSize } from './batching.js';
import type { FanoutPool, WireFrame } from './fanout.js';
import { Telemetry, type LambdaRunFacts } from './telemetry.js';

interface Item {
  readonly frame: WireFrame;
  readonly bytes: number;
}

export interface SessionFacts extends LambdaRunFacts {
  readonly batchSize: number;
}

export class FanoutSession {
  readonly telemetry = new Telemetry();
  readonly batchSize: number;

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
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };

    const submit = async (batch: Item[]): Promise<void> => {
      await pool.capacity.acquire(() => pool.stopped);
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
          if (pool.stopped) break;
        }
        if (!pool.stopped) for (const batch of batcher.flush()) await submit(batch);
      } catch (error) {
        readerError = { error };
      } finally {
        readerDone = true;
        notify();
      }
    })();

    while (true) {
      if (finished.length > 0) {
        yield finished.shift()!;
        continue;
      }
      if (readerDone && running === 0) break;
      await new Promise<void>((resolve) => { wake = resolve; });
    }
    await reader;
    if (pool.fatal !== undefined) throw pool.fatal;
    if (readerError !== undefined) throw readerError.error;
  }

  facts(wallMs: number): SessionFacts {
    return { batchSize: this.batchSize, ...this.telemetry.facts(wallMs, this.pool.options.prices) };
  }
}

/**
 * How many frames go in one invocation, and the batches themselves, which
 * never exceed the request size the CLI allows itself (MAX_REQUEST_BYTES,
 * under Lambda's 6 MB synchronous payload limit).
 */
import { MAX_FRAMES_PER_REQUEST, MAX_REQUEST_BYTES, requestBytes } from '../../core/contract.js';

export type BatchSizeSetting = { readonly kind: 'auto' } | { readonly kind: 'fixed'; readonly frames: number };

/**
 * `auto`: ceil(frames / concurrency), so the whole video goes out in one wave
 * of at most `concurrency` invocations. Each invocation has a fixed overhead
 * (request, queueing, response) on top of ~60 ms of inference per frame, so
 * for N frames on C environments the makespan ceil(N / (C·K)) · (overhead + K·t)
 * is smallest with the fewest waves: one. Up to C frames that is one frame per
 * invocation (all in parallel); beyond, frames share invocations evenly. The
 * payload limit caps K further (see Batcher).
 */
export function chooseBatchSize(setting: BatchSizeSetting, expectedFrames: number, concurrency: number): number {
  if (setting.kind === 'fixed') return setting.frames;
  return Math.min(MAX_FRAMES_PER_REQUEST, Math.max(1, Math.ceil(expectedFrames / Math.max(1, concurrency))));
}

/** Frames are known by index in the request (ids must be unique per request). */
const ID_LENGTH = 6;

export interface Sized {
  readonly bytes: number;
}

/**
 * Collects items into batches of at most `size`, flushing early when one more
 * would push the encoded request past `maxBytes`.
 */
export class Batcher<T extends Sized> {
  private items: T[] = [];
  private sizes: number[] = [];
  constructor(private readonly size: number, private readonly maxBytes: number = MAX_REQUEST_BYTES) {}

  /** Whether a single item fits in a request at all. */
  fits(item: T): boolean {
    return requestBytes([item.bytes], ID_LENGTH) <= this.maxBytes;
  }

  /** Adds an item; returns the batches that became ready (zero, one or, rarely, two). */
  add(item: T): T[][] {
    const ready: T[][] = [];
    if (this.items.length > 0 && requestBytes([...this.sizes, item.bytes], ID_LENGTH) > this.maxBytes) ready.push(this.take());
    this.items.push(item);
    this.sizes.push(item.bytes);
    if (this.items.length >= this.size) ready.push(this.take());
    return ready;
  }

  /** Whatever is left, at the end of the input. */
  flush(): T[][] {
    return this.items.length > 0 ? [this.take()] : [];
  }

  private take(): T[] {
    const batch = this.items;
    this.items = [];
    this.sizes = [];
    return batch;
  }
}

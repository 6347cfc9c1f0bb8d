/**
 * Frames finished by the decoder lanes, waiting for the consumer of a sampling generator:
 * the lanes pause while too many wait (a slow scorer does not fill memory with frames),
 * and the consumer sleeps until a frame, the end or a failure comes.
 */
import type { SampledFrame } from '../../core/results.js';

export class ResultQueue {
  private readonly waiting: SampledFrame[] = [];
  private wakeConsumer: (() => void) | undefined;
  private wakeProducers: (() => void)[] = [];
  private failure: { error: unknown } | undefined;
  private stopped = false;
  private finished = false;

  constructor(private readonly maxWaiting: number, private readonly signal?: AbortSignal) {}

  /** Whether producers should stop: the consumer left, something failed or the run was aborted. */
  get halted(): boolean {
    return this.stopped || this.failure !== undefined || this.signal?.aborted === true;
  }

  push(frame: SampledFrame): void {
    if (!this.stopped) this.waiting.push(frame);
    this.wakeConsumer?.();
  }

  /** Resolves once fewer than the maximum wait (or the work is halted). */
  async room(): Promise<void> {
    while (this.waiting.length >= this.maxWaiting && !this.halted) await new Promise<void>((resolve) => this.wakeProducers.push(resolve));
  }

  /** The first failure ends the drain; it is thrown by `throwIfFailed`. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wakeAll();
  }

  /** No more frames will be pushed. */
  finish(): void {
    this.finished = true;
    this.wakeConsumer?.();
  }

  /** The consumer left: frames pushed from now on are dropped. */
  stop(): void {
    this.stopped = true;
    this.wakeAll();
  }

  /** Yields frames as they come until the producers finish (or one fails). */
  async *drain(): AsyncGenerator<SampledFrame> {
    while (!this.failure && (!this.finished || this.waiting.length > 0)) {
      if (this.waiting.length > 0) {
        yield this.waiting.shift()!;
        this.wakeProducersNow();
        continue;
      }
      await new Promise<void>((resolve) => { this.wakeConsumer = resolve; });
      this.wakeConsumer = undefined;
    }
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private wakeAll(): void {
    this.wakeConsumer?.();
    this.wakeProducersNow();
  }

  private wakeProducersNow(): void {
    for (const wake of this.wakeProducers) wake();
    this.wakeProducers = [];
  }
}

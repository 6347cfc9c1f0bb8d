/**
 * A counting gate on batches held in memory (queued, in flight or backing off),
 * shared by every video of a run: the sampler waits here when the fan-out is
 * saturated, so memory stays bounded however long the video.
 */
export class Capacity {
  private used = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Waits for room; `stopped` lets a stopping run through at once (it will not invoke). */
  async acquire(stopped: () => boolean = () => false): Promise<void> {
    while (this.used >= this.max && !stopped()) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.used += 1;
  }

  release(): void {
    this.used -= 1;
    this.waiters.shift()?.();
  }

  /** Wakes every waiter (they re-check); used when the run stops. */
  wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

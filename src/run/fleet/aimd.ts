/**
 * Additive-increase / multiplicative-decrease concurrency, as TCP does for its
 * window: each success adds 1/limit (about +1 per round of `limit` invocations),
 * each throttle multiplies by `decrease`. Throttles from invocations that
 * started before the last decrease are ignored: they report the old level, and
 * reacting to each would collapse the limit to 1 after one burst.
 */

export interface AimdOptions {
  /** The most in flight: --concurrency. */
  readonly max: number;
  readonly min?: number;
  /** Where to start (default: max, so an unthrottled function gets full speed at once). */
  readonly initial?: number;
  /** Multiplier on a throttle; 0.7 as in CUBIC keeps more throughput than halving. */
  readonly decrease?: number;
  readonly now?: () => number;
  /** Told whenever the whole-number limit changes (to resize the p-limit). */
  readonly onChange?: (limit: number) => void;
}

export interface AimdStats {
  readonly limit: number;
  readonly minLimit: number;
  readonly decreases: number;
}

export class AimdLimiter {
  private current: number;
  private lastDecreaseAt = -Infinity;
  private lowest: number;
  private decreases = 0;
  private readonly max: number;
  private readonly min: number;
  private readonly decrease: number;
  private readonly now: () => number;
  private readonly onChange: ((limit: number) => void) | undefined;

  constructor(options: AimdOptions) {
    this.max = options.max;
    this.min = options.min ?? 1;
    this.decrease = options.decrease ?? 0.7;
    this.current = Math.min(this.max, Math.max(this.min, options.initial ?? this.max));
    this.lowest = this.current;
    this.now = options.now ?? (() => performance.now());
    this.onChange = options.onChange;
  }

  /** Invocations allowed in flight now. */
  get limit(): number {
    return Math.max(this.min, Math.floor(this.current));
  }

  /**
   * `windowFull`: whether the limit was actually in use (requests queued, or in flight up to it). Growing an
   * unused limit would let it drift far above a cap it never tested (RFC 7661's congestion window validation).
   */
  onSuccess(windowFull = true): void {
    if (!windowFull) return;
    this.set(Math.min(this.max, this.current + 1 / this.current));
  }

  /** `startedAt`: when the throttled invocation was sent (same clock as `now`). */
  onThrottle(startedAt: number): void {
    if (startedAt < this.lastDecreaseAt) return;
    this.lastDecreaseAt = this.now();
    this.decreases += 1;
    this.set(Math.max(this.min, this.current * this.decrease));
    this.lowest = Math.min(this.lowest, this.current);
  }

  stats(): AimdStats {
    return { limit: this.limit, minLimit: Math.max(this.min, Math.floor(this.lowest)), decreases: this.decreases };
  }

  private set(next: number): void {
    const before = this.limit;
    this.current = next;
    if (this.limit !== before) this.onChange?.(this.limit);
  }
}

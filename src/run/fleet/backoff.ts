/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"). */

export interface BackoffPolicy {
  /** Delay scale of the first retry. */
  readonly baseMs: number;
  /** Largest delay ever drawn. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 20_000 } as const;

/**
 * The wait before retry number `retry` (1 = first retry): uniform in
 * [0, min(cap, base·2^(retry-1))). Full jitter spreads a herd of throttled
 * callers evenly instead of letting them come back in lock-step.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** A server's Retry-After hint raises the floor of the wait; it never shortens it. */
export function retryDelay(retry: number, retryAfterMs: number | undefined, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const jittered = backoffDelay(retry, policy, random);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, policy.capMs));
}

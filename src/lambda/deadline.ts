/**
 * An invocation's own deadline. Lambda ends an invocation at its timeout and returns
 * nothing, so every frame of it is lost and the client pays for the whole attempt
 * again. Work therefore stops early: decoding stops `2 × reserve` before the end (its
 * running ffmpeg processes are killed through `signal`), scoring stops `reserve` before
 * it, and the frames not finished are answered with the retryable code DEADLINE.
 *
 * reserve = max(2.5 s, 10 % of the time the invocation had), at most a quarter of it:
 * 2.5 s covers killing the decoders, shrinking thumbnails, serialising up to 6 MB of
 * answer and the last scoring chunk (8 frames, ~0.5 s on a loaded wasm fallback);
 * 10 % scales with a slow environment, whose every step is slower in proportion.
 * The quarter keeps half of even a very short timeout for work.
 */
export const MIN_RESERVE_MS = 2500;
const RESERVE_SHARE = 0.1;

export class Deadline {
  readonly reserveMs: number;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  /** `remainingMs` is the Lambda context's getRemainingTimeInMillis. */
  constructor(private readonly remainingMs: () => number) {
    const total = Math.max(0, remainingMs());
    this.reserveMs = Math.min(total / 4, Math.max(MIN_RESERVE_MS, total * RESERVE_SHARE));
    this.arm();
  }

  /** Aborted when decoding must stop: decoders and seeks listen to it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** No new decoding may start (and running decoders are stopped). */
  decodeOver(): boolean {
    if (this.controller.signal.aborted) return true;
    if (this.remainingMs() > 2 * this.reserveMs) return false;
    this.stop();
    return true;
  }

  /** No new scoring chunk may start: what is left must be answered now. */
  scoreOver(): boolean {
    return this.remainingMs() <= this.reserveMs;
  }

  /** Milliseconds decoding may still take (0 once it is over). */
  decodeBudgetMs(): number {
    return Math.max(0, this.remainingMs() - 2 * this.reserveMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.controller.abort();
  }

  /** Wakes at the decode cut to stop decoders that are running (re-armed if the clock says it is early). */
  private arm(): void {
    const wait = this.decodeBudgetMs();
    if (wait <= 0) {
      this.stop();
      return;
    }
    this.timer = setTimeout(() => this.arm(), wait);
    this.timer.unref();
  }
}

/** A frame the invocation had no time for: the client sends it again. */
export function deadlineFailure(id: string): { id: string; code: 'DEADLINE'; message: string } {
  return { id, code: 'DEADLINE', message: 'the invocation stopped before its timeout without reaching this frame' };
}

/** Frames scored per model call while the deadline allows: small enough that the last chunk fits in the reserve. */
const SCORE_CHUNK = 8;

/** Scores in chunks, stopping when the deadline's reserve is reached; `late` are the entries left unscored. */
export async function scoreInTime<T, R>(entries: readonly T[], score: (chunk: readonly T[]) => Promise<R[]>, deadline: Deadline): Promise<{ scored: R[]; late: T[] }> {
  const scored: R[] = [];
  for (let from = 0; from < entries.length; from += SCORE_CHUNK) {
    if (deadline.scoreOver()) return { scored, late: entries.slice(from) };
    scored.push(...(await score(entries.slice(from, from + SCORE_CHUNK))));
  }
  return { scored, late: [] };
}

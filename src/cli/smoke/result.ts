/** The outcome of `framescore smoke`: one entry per check, in the order they ran. */
export const CHECK_STATUS = { pass: 'pass', fail: 'fail', skip: 'skip' } as const;
export type CheckStatus = (typeof CHECK_STATUS)[keyof typeof CHECK_STATUS];

export interface CheckResult {
  /** Short stable name: invoke, model, scores, warm-latency, function-url. */
  readonly name: string;
  readonly status: CheckStatus;
  /** One line: what was found. */
  readonly summary: string;
  /** On failure, the per-item diff: one line each. */
  readonly details: readonly string[];
  readonly durationMs: number;
  /** Measurements for machines (latencies, cold start, sha256). */
  readonly facts: Readonly<Record<string, string | number | boolean | readonly number[]>>;
}

export interface SmokeResult {
  readonly function: string;
  readonly qualifier?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly url?: string | undefined;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly passed: boolean;
  readonly checks: readonly CheckResult[];
}

export function check(name: string, status: CheckStatus, summary: string, extra: { details?: string[]; durationMs?: number; facts?: CheckResult['facts'] } = {}): CheckResult {
  return { name, status, summary, details: extra.details ?? [], durationMs: Math.round(extra.durationMs ?? 0), facts: extra.facts ?? {} };
}

/**
 * Estimated Lambda cost of a run from the REPORT lines. Prices are flags; the
 * defaults are the public on-demand prices (us-east-1, first tier, 2025–26).
 * Since 1 Aug 2025 the INIT phase is billed for on-demand zip functions.
 */
export const ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const DEFAULT_PRICE_GB_SECOND = { arm64: 0.0000133334, x86_64: 0.0000166667 } as const satisfies Record<Architecture, number>;
export const DEFAULT_PRICE_REQUEST = 0.0000002;

export interface Prices {
  readonly architecture: Architecture;
  readonly perGbSecond: number;
  readonly perRequest: number;
}

export interface BilledUsage {
  readonly invocations: number;
  /** Invocations that returned a REPORT line (none through most emulators). */
  readonly reported: number;
  readonly gbSeconds: number;
  /** The part of gbSeconds spent in INIT. */
  readonly initGbSeconds: number;
}

export interface CostEstimate {
  readonly usd: number | null;
  readonly requestsUsd: number;
  readonly computeUsd: number | null;
  readonly prices: Prices;
  readonly note?: string;
}

/** GB-seconds one REPORT line bills: its billed duration plus INIT when billed duration does not already cover it. */
export function billedGbSeconds(report: { durationMs: number; billedMs: number; memoryMb: number; initMs?: number | undefined }): { total: number; init: number } {
  const gb = report.memoryMb / 1024;
  const initMs = report.initMs === undefined ? 0 : Math.ceil(report.initMs);
  const initIncluded = report.billedMs >= report.durationMs + initMs;
  const init = (initMs * gb) / 1000;
  return { total: (report.billedMs * gb) / 1000 + (initIncluded ? 0 : init), init };
}

export function estimateCost(usage: BilledUsage, prices: Prices): CostEstimate {
  const requestsUsd = usage.invocations * prices.perRequest;
  if (usage.reported === 0 && usage.invocations > 0) {
    return { usd: null, requestsUsd, computeUsd: null, prices, note: 'no REPORT lines came back (an emulator?): compute cost unknown' };
  }
  const computeUsd = usage.gbSeconds * prices.perGbSecond;
  const partial = usage.reported < usage.invocations ? { note: `compute from ${usage.reported} of ${usage.invocations} invocations with a REPORT line` } : {};
  return { usd: round(requestsUsd + computeUsd), requestsUsd: round(requestsUsd), computeUsd: round(computeUsd), prices, ...partial };
}

function round(usd: number): number {
  return Number(usd.toPrecision(6));
}

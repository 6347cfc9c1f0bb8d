/**
 * Invocation statistics for a run: counts, latency percentiles, cold starts,
 * billed GB-seconds and the sustained concurrency (Little's law: total time
 * in flight / wall time).
 */
import { billedGbSeconds, estimateCost, type CostEstimate, type Prices } from './cost.js';
import type { InvokeTelemetry } from './invoke.js';

export interface InvocationRecord {
  readonly telemetry: InvokeTelemetry;
  readonly ok: boolean;
  readonly throttled: boolean;
  readonly retry: boolean;
  readonly coldStart: boolean;
  /** Init time the function reported in its response (when no REPORT line). */
  readonly initMs?: number | undefined;
}

export interface LambdaRunFacts {
  readonly invocations: number;
  readonly failedInvocations: number;
  readonly retries: number;
  /** Invocations that stopped before the function's timeout with frames left, and those frames (each sent again). */
  readonly deadline: { readonly invocations: number; readonly frames: number };
  readonly throttles: number;
  readonly coldStarts: number;
  readonly initMs: { readonly count: number; readonly p50: number | null; readonly max: number | null };
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null; readonly max: number | null };
  /** Mean invocations in flight over the wall time. */
  readonly sustainedConcurrency: number;
  readonly peakConcurrency: number;
  readonly billed: { readonly reported: number; readonly gbSeconds: number; readonly initGbSeconds: number };
  readonly cost: CostEstimate;
  readonly executedVersions: readonly string[];
}

export class Telemetry {
  private invocations = 0;
  private failed = 0;
  private retries = 0;
  private deadlineInvocations = 0;
  private deadlineFrames = 0;
  private throttles = 0;
  private coldStarts = 0;
  private readonly latencies: number[] = [];
  private readonly inits: number[] = [];
  private busyMs = 0;
  private inFlight = 0;
  private peak = 0;
  private reported = 0;
  private gbSeconds = 0;
  private initGbSeconds = 0;
  private readonly versions = new Set<string>();

  started(): void {
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
  }

  /** Called as the response arrives, inside the concurrency slot, so the count matches what p-limit allows. */
  finished(): void {
    this.inFlight -= 1;
  }

  /** An invocation answered before its deadline with `frames` frames left for another. */
  cutShort(frames: number): void {
    this.deadlineInvocations += 1;
    this.deadlineFrames += frames;
  }

  record(entry: InvocationRecord): void {
    this.invocations += 1;
    if (!entry.ok) this.failed += 1;
    if (entry.retry) this.retries += 1;
    if (entry.throttled) this.throttles += 1;
    const { telemetry } = entry;
    this.latencies.push(telemetry.latencyMs);
    this.busyMs += telemetry.latencyMs;
    if (telemetry.executedVersion !== undefined) this.versions.add(telemetry.executedVersion);
    const initMs = telemetry.report?.initMs ?? (entry.coldStart ? entry.initMs : undefined);
    if (entry.coldStart || telemetry.report?.initMs !== undefined) this.coldStarts += 1;
    if (initMs !== undefined) this.inits.push(initMs);
    if (telemetry.report !== undefined) {
      this.reported += 1;
      const billed = billedGbSeconds(telemetry.report);
      this.gbSeconds += billed.total;
      this.initGbSeconds += billed.init;
    }
  }

  facts(wallMs: number, prices: Prices): LambdaRunFacts {
    const latencies = [...this.latencies].sort((a, b) => a - b);
    const inits = [...this.inits].sort((a, b) => a - b);
    return {
      invocations: this.invocations,
      failedInvocations: this.failed,
      retries: this.retries,
      deadline: { invocations: this.deadlineInvocations, frames: this.deadlineFrames },
      throttles: this.throttles,
      coldStarts: this.coldStarts,
      initMs: { count: inits.length, p50: percentile(inits, 0.5), max: inits.at(-1) ?? null },
      latencyMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), max: percentile(latencies, 1) },
      sustainedConcurrency: wallMs > 0 ? Number((this.busyMs / wallMs).toFixed(1)) : 0,
      peakConcurrency: this.peak,
      billed: { reported: this.reported, gbSeconds: Number(this.gbSeconds.toFixed(4)), initGbSeconds: Number(this.initGbSeconds.toFixed(4)) },
      cost: estimateCost({ invocations: this.invocations, reported: this.reported, gbSeconds: this.gbSeconds, initGbSeconds: this.initGbSeconds }, prices),
      executedVersions: [...this.versions].sort(),
    };
  }
}

/** Nearest-rank percentile of sorted values, rounded to 0.1 ms (p = 1: the maximum, rounded the same way, so p95 ≤ max). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return Math.round(sorted[rank]! * 10) / 10;
}

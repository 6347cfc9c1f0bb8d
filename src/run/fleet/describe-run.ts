/** One line on stderr summing up a Lambda run, for people; the report has the numbers. */
import type { LambdaRunFacts } from './telemetry.js';

export function describeRun(facts: LambdaRunFacts & { concurrency: { requested: number; limit: number; minLimit: number } }): string {
  const parts = [
    `lambda: ${facts.invocations} invocations (${facts.retries} retries, ${facts.throttles} throttled, ${facts.coldStarts} cold starts${facts.initMs.max === null ? '' : `, init max ${Math.round(facts.initMs.max)} ms`}${facts.deadline.invocations === 0 ? '' : `, ${facts.deadline.invocations} stopped at their deadline with ${facts.deadline.frames} frames sent again`})`,
    `latency p50 ${facts.latencyMs.p50 ?? '-'} ms, p95 ${facts.latencyMs.p95 ?? '-'} ms, max ${facts.latencyMs.max ?? '-'} ms`,
    `concurrency ${facts.concurrency.requested} requested, ${facts.sustainedConcurrency} sustained, peak ${facts.peakConcurrency}${facts.concurrency.minLimit < facts.concurrency.requested ? `, throttled down to ${facts.concurrency.minLimit}, now ${facts.concurrency.limit}` : ''}`,
    facts.cost.usd === null ? `${facts.cost.note ?? 'cost unknown'}` : `${facts.billed.gbSeconds} GB-s billed, about $${facts.cost.usd.toFixed(6)}`,
  ];
  return parts.join('; ');
}

/**
 * When an episode gives up: early enough before the function's timeout to
 * write nothing half-done, publish its Episode Failed event and return the
 * batch response. Lambda kills a function at its timeout without a word, so
 * the cause would otherwise be lost and SQS would only see a vanished message.
 */

/** Reserve for the failure path: at least 10 s (an S3 HEAD, a PutEvents, slack), else 10 % of the time. */
export function deadlineMarginMs(remainingMs: number): number {
  return Math.max(10_000, Math.round(remainingMs * 0.1));
}

/** Ms from now until the run is stopped; 0 when there is not even the margin left. */
export function runBudgetMs(remainingMs: number): number {
  return Math.max(0, remainingMs - deadlineMarginMs(remainingMs));
}

/**
 * The SQS partial batch response (the event source mapping has
 * FunctionResponseTypes: [ReportBatchItemFailures]): only the listed messages
 * are retried; an empty list deletes the whole batch. A message whose failure
 * is final (deleted or changed object, bad message) is not listed: retrying
 * cannot help, and its Episode Failed event says why.
 */
export interface SqsBatchResponse {
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>;
}

export function batchResponse(retry: readonly string[]): SqsBatchResponse {
  return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
}

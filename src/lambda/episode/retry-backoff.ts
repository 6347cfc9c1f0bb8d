/**
 * A retried message comes back after a short backoff, not after the queue's
 * visibility timeout (6 × EpisodeTimeout, up to 90 minutes, which SQS needs so
 * that a running episode is not delivered twice): before the batch response
 * lists it, ChangeMessageVisibility sets its visibility to
 * RETRY_BACKOFF_SECONDS × the delivery's number (at most 12 hours, SQS's cap).
 * Unset or empty: no change (the queue's own timeout applies).
 */
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from '../../core/errors.js';

export type RetryBackoff = (record: { readonly messageId: string; readonly receiptHandle?: string; readonly eventSourceARN?: string; readonly attributes?: { readonly ApproximateReceiveCount?: string } }) => Promise<void>;

const MAX_VISIBILITY_SECONDS = 43_200;

export function retryBackoff(env: NodeJS.ProcessEnv, sqs: SQSClient, endpoint: string | undefined, log: (fields: Record<string, unknown>) => void): RetryBackoff {
  const raw = env.RETRY_BACKOFF_SECONDS ?? '';
  const base = Number(raw);
  if (raw === '' || !(Number.isFinite(base) && base >= 0)) return async () => {};
  return async (record) => {
    const queueUrl = queueUrlOf(record.eventSourceARN, endpoint);
    if (queueUrl === undefined || record.receiptHandle === undefined) return;
    const receives = Number(record.attributes?.ApproximateReceiveCount);
    const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.round(base * (Number.isInteger(receives) && receives >= 1 ? receives : 1)));
    try {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }));
    } catch (error) {
      // Not fatal: the message still comes back, after the queue's visibility timeout.
      log({ outcome: 'backoff-failed', messageId: record.messageId, error: errorMessage(error) });
    }
  };
}

/** arn:aws:sqs:REGION:ACCOUNT:NAME → the queue's URL (on a local endpoint in tests). */
export function queueUrlOf(arn: string | undefined, endpoint: string | undefined): string | undefined {
  const match = /^arn:[^:]+:sqs:([^:]+):(\d+):(.+)$/.exec(arn ?? '');
  if (match === null) return undefined;
  const [, region, account, name] = match;
  const base = endpoint === undefined ? `https://sqs.${region!}.amazonaws.com` : endpoint.replace(/\/$/, '');
  return `${base}/${account!}/${name!}`;
}

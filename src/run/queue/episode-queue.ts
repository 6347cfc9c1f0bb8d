/**
 * framescore submit and status on the episode queue: objects in, as the same
 * messages the flow's function reads (lambda/episode/object-ref.ts), and the
 * queue's and dead-letter queue's state out.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseMessageBody, submitMessage, type ObjectRef } from '../../lambda/episode/object-ref.js';

/** SQS's most entries per SendMessageBatch. */
const BATCH = 10;

export interface Submitted {
  readonly ref: Omit<ObjectRef, 'origin'>;
  readonly messageId?: string | undefined;
  readonly error?: string | undefined;
}

/** Sends one message per object, ten per request; an entry SQS refuses is retried once, then reported. */
export async function sendEpisodes(client: SQSClient, queueUrl: string, refs: ReadonlyArray<Omit<ObjectRef, 'origin'>>): Promise<Submitted[]> {
  const results: Submitted[] = [];
  for (let start = 0; start < refs.length; start += BATCH) {
    let pending = refs.slice(start, start + BATCH).map((ref, i) => ({ id: String(i), ref }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const response = await client.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl, Entries: pending.map(({ id, ref }) => ({ Id: id, MessageBody: JSON.stringify(submitMessage(ref)) })),
      }));
      for (const ok of response.Successful ?? []) results.push({ ref: pending.find((entry) => entry.id === ok.Id)!.ref, messageId: ok.MessageId });
      const failed = response.Failed ?? [];
      const retry = failed.filter((entry) => entry.SenderFault !== true && attempt === 1);
      for (const entry of failed.filter((candidate) => !retry.includes(candidate))) {
        results.push({ ref: pending.find((candidate) => candidate.id === entry.Id)!.ref, error: `${entry.Code ?? 'Failed'}: ${entry.Message ?? ''}`.trim() });
      }
      pending = pending.filter((entry) => retry.some((candidate) => candidate.Id === entry.id));
    }
  }
  return results;
}

export interface QueueDepth {
  /** Waiting to be picked up. */
  readonly queued: number;
  /** Received by the episode function and not yet deleted: running (or waiting out a visibility timeout after a failure). */
  readonly inFlight: number;
  readonly delayed: number;
}

export async function queueDepth(client: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes: attributes = {} } = await client.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
  }));
  const count = (name: string): number => Number(attributes[name as keyof typeof attributes] ?? 0);
  return { queued: count('ApproximateNumberOfMessages'), inFlight: count('ApproximateNumberOfMessagesNotVisible'), delayed: count('ApproximateNumberOfMessagesDelayed') };
}

export interface DeadLetter {
  readonly input: string | null;
  readonly receiveCount: number;
  readonly sentAt: string | null;
}

/**
 * Up to `max` dead-lettered messages, looked at without taking them: received
 * with a visibility timeout of 0, so they stay where they are for a redrive.
 */
export async function peekDeadLetters(client: SQSClient, queueUrl: string, max = 10): Promise<DeadLetter[]> {
  const response = await client.send(new ReceiveMessageCommand({
    QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(max, 10), VisibilityTimeout: 0, WaitTimeSeconds: 0,
    MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
  }));
  return (response.Messages ?? []).map((message) => {
    const parsed = parseMessageBody(message.Body ?? '');
    const sent = Number(message.Attributes?.SentTimestamp);
    return {
      input: parsed.ok ? `s3://${parsed.ref.bucket}/${parsed.ref.key}` : null,
      // SQS counts this look as a receive too.
      receiveCount: Math.max(0, Number(message.Attributes?.ApproximateReceiveCount ?? 1) - 1),
      sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
    };
  });
}

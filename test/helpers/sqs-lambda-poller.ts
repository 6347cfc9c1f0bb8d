/**
 * What Lambda's SQS event source mapping does, for local runs: receive one
 * message at a time (batch size 1) with at most `maxConcurrency` invocations in
 * flight, invoke the function with the SQS event, and delete the message
 * unless the invocation failed or listed it in batchItemFailures
 * (ReportBatchItemFailures). A message left behind comes back after its
 * visibility timeout, and the queue's redrive policy moves it on.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  readonly maxConcurrency: number;
  /** Seconds a received message stays invisible (the queue's visibility timeout). */
  readonly visibilityTimeoutSeconds: number;
}

export interface PollerStats {
  invocations: number;
  deleted: number;
  retried: number;
  functionErrors: number;
  peakConcurrency: number;
}

/** Polls until the queue is empty and nothing is in flight; resolves with what happened. */
export async function drainQueue(options: PollerOptions): Promise<PollerStats> {
  const stats: PollerStats = { invocations: 0, deleted: 0, retried: 0, functionErrors: 0, peakConcurrency: 0 };
  const running = new Set<Promise<void>>();
  for (;;) {
    while (running.size < options.maxConcurrency) {
      const received = await options.sqs.send(new ReceiveMessageCommand({
        QueueUrl: options.queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: options.visibilityTimeoutSeconds, WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
      }));
      const message = received.Messages?.[0];
      if (message === undefined) break;
      const task = invoke(options, message, stats).finally(() => running.delete(task));
      running.add(task);
      stats.peakConcurrency = Math.max(stats.peakConcurrency, running.size);
    }
    if (running.size > 0) {
      await Promise.race(running);
      continue;
    }
    const { Attributes: attributes = {} } = await options.sqs.send(new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    if (Number(attributes.ApproximateNumberOfMessages ?? 0) + Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) === 0) return stats;
    await sleep(100); // messages waiting out a visibility timeout
  }
}

async function invoke(options: PollerOptions, message: { MessageId?: string; ReceiptHandle?: string; Body?: string; MD5OfBody?: string; Attributes?: Record<string, string> }, stats: PollerStats): Promise<void> {
  const record = {
    messageId: message.MessageId, receiptHandle: message.ReceiptHandle, body: message.Body, attributes: message.Attributes ?? {}, messageAttributes: {},
    md5OfBody: message.MD5OfBody, eventSource: 'aws:sqs', eventSourceARN: options.queueArn, awsRegion: 'us-east-1',
  };
  stats.invocations += 1;
  const answer = await options.lambda.send(new InvokeCommand({ FunctionName: options.functionName, Payload: JSON.stringify({ Records: [record] }) }));
  if (answer.FunctionError !== undefined) {
    stats.functionErrors += 1;
    return;
  }
  const response = JSON.parse(new TextDecoder().decode(answer.Payload)) as { batchItemFailures?: Array<{ itemIdentifier: string }> } | null;
  if (response?.batchItemFailures?.some((failure) => failure.itemIdentifier === message.MessageId) === true) {
    stats.retried += 1;
    return;
  }
  await options.sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }));
  stats.deleted += 1;
}

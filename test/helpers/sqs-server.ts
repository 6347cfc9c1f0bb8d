/**
 * A local server speaking the SQS API as AWS SDK v3 sends it (AWS JSON 1.0,
 * X-Amz-Target: AmazonSQS.<Operation>): SendMessage, SendMessageBatch,
 * ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes,
 * GetQueueUrl. Queues keep messages in memory with visibility timeouts, receive
 * counts and a redrive policy (a message received maxReceiveCount times moves
 * to the dead-letter queue on its next receive, as SQS does). No maintained npm
 * package does this for Node 20 (fauxqs needs Node 22.5; sqslite speaks only the
 * older query protocol). MD5s are real: the SDK checks them.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const ACCOUNT = '111122223333';

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receipt: string | undefined;
}

interface Queue {
  readonly name: string;
  readonly messages: StoredMessage[];
  readonly visibilityTimeoutSeconds: number;
  readonly redrive?: { readonly deadLetter: Queue; readonly maxReceiveCount: number } | undefined;
}

export interface QueueSpec {
  readonly name: string;
  readonly visibilityTimeoutSeconds?: number;
  /** Name of another queue in the list and the receives after which a message moves there. */
  readonly redrive?: { readonly deadLetter: string; readonly maxReceiveCount: number };
}

export interface SqsServer {
  readonly endpoint: string;
  queueUrl(name: string): string;
  /** Bodies of the messages in a queue, visible or not. */
  bodies(name: string): string[];
  /** ChangeMessageVisibility calls that found their message, in order: queue name and seconds. */
  readonly visibilityChanges: Array<{ readonly queue: string; readonly seconds: number }>;
  stop(): Promise<void>;
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

export async function startSqsServer(specs: readonly QueueSpec[]): Promise<SqsServer> {
  const visibilityChanges: Array<{ queue: string; seconds: number }> = [];
  const queues = new Map<string, Queue>();
  for (const spec of [...specs].sort((a, b) => Number(a.redrive !== undefined) - Number(b.redrive !== undefined))) {
    const deadLetter = spec.redrive === undefined ? undefined : queues.get(spec.redrive.deadLetter);
    if (spec.redrive !== undefined && deadLetter === undefined) throw new Error(`dead-letter queue ${spec.redrive.deadLetter} is not defined`);
    queues.set(spec.name, { name: spec.name, messages: [], visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds ?? 30, redrive: deadLetter === undefined ? undefined : { deadLetter, maxReceiveCount: spec.redrive!.maxReceiveCount } });
  }
  let endpoint = '';
  const queueFromUrl = (url: unknown): Queue => {
    const name = typeof url === 'string' ? url.split('/').pop() : undefined;
    const queue = name === undefined ? undefined : queues.get(name);
    if (queue === undefined) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  };
  const store = (queue: Queue, body: unknown): StoredMessage => {
    if (typeof body !== 'string' || body === '') throw new SqsError('InvalidParameterValue', 'MessageBody is required.');
    const message = { id: randomUUID(), body, sentAt: Date.now(), receiveCount: 0, visibleAt: 0, receipt: undefined };
    queue.messages.push(message);
    return message;
  };

  const operations: Record<string, (input: Record<string, any>) => unknown> = { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON requests
    GetQueueUrl: (input) => ({ QueueUrl: `${endpoint}/${ACCOUNT}/${queueFromUrl(`/${String(input.QueueName)}`).name}` }),
    SendMessage: (input) => {
      const message = store(queueFromUrl(input.QueueUrl), input.MessageBody);
      return { MessageId: message.id, MD5OfMessageBody: md5(message.body) };
    },
    SendMessageBatch: (input) => {
      const queue = queueFromUrl(input.QueueUrl);
      const entries = input.Entries as Array<{ Id: string; MessageBody: string }>;
      if (!Array.isArray(entries) || entries.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
      if (entries.length > 10) throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
      if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) throw new SqsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
      return { Successful: entries.map((entry) => { const message = store(queue, entry.MessageBody); return { Id: entry.Id, MessageId: message.id, MD5OfMessageBody: md5(message.body) }; }), Failed: [] };
    },
    ReceiveMessage: (input) => {
      const queue = queueFromUrl(input.QueueUrl);
      const max = Number(input.MaxNumberOfMessages ?? 1);
      const visibility = Number(input.VisibilityTimeout ?? queue.visibilityTimeoutSeconds);
      const now = Date.now();
      const received: unknown[] = [];
      for (const message of [...queue.messages]) {
        if (received.length >= max) break;
        if (message.visibleAt > now) continue;
        if (queue.redrive !== undefined && message.receiveCount >= queue.redrive.maxReceiveCount) {
          queue.messages.splice(queue.messages.indexOf(message), 1);
          queue.redrive.deadLetter.messages.push({ ...message, visibleAt: 0, receipt: undefined });
          continue;
        }
        message.receiveCount += 1;
        message.visibleAt = now + visibility * 1000;
        message.receipt = randomUUID();
        received.push({
          MessageId: message.id, ReceiptHandle: message.receipt, MD5OfBody: md5(message.body), Body: message.body,
          Attributes: { ApproximateReceiveCount: String(message.receiveCount), SentTimestamp: String(message.sentAt), ApproximateFirstReceiveTimestamp: String(now) },
        });
      }
      return received.length === 0 ? {} : { Messages: received };
    },
    DeleteMessage: (input) => {
      const queue = queueFromUrl(input.QueueUrl);
      const index = queue.messages.findIndex((message) => message.receipt === input.ReceiptHandle);
      if (index >= 0) queue.messages.splice(index, 1);
      return {};
    },
    ChangeMessageVisibility: (input) => {
      const message = queueFromUrl(input.QueueUrl).messages.find((candidate) => candidate.receipt === input.ReceiptHandle);
      if (message === undefined) throw new SqsError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
      message.visibleAt = Date.now() + Number(input.VisibilityTimeout) * 1000;
      visibilityChanges.push({ queue: queueFromUrl(input.QueueUrl).name, seconds: Number(input.VisibilityTimeout) });
      return {};
    },
    GetQueueAttributes: (input) => {
      const queue = queueFromUrl(input.QueueUrl);
      const now = Date.now();
      const visible = queue.messages.filter((message) => message.visibleAt <= now).length;
      const all: Record<string, string> = {
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
        ApproximateNumberOfMessagesDelayed: '0',
        QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${queue.name}`,
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        ...(queue.redrive === undefined ? {} : { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${queue.redrive.deadLetter.name}`, maxReceiveCount: queue.redrive.maxReceiveCount }) }),
      };
      const names = (input.AttributeNames as string[] | undefined) ?? ['All'];
      return { Attributes: names.includes('All') ? all : Object.fromEntries(names.filter((name) => name in all).map((name) => [name, all[name]!])) };
    },
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), ...headers }).end(JSON.stringify(body));
      };
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = operations[target.replace(/^AmazonSQS\./, '')];
      if (!target.startsWith('AmazonSQS.') || operation === undefined) {
        send(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: `unsupported operation ${target}` });
        return;
      }
      try {
        send(200, operation(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>));
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        send(400, { __type: `com.amazonaws.sqs#${error.code}`, message: error.message }, { 'x-amzn-query-error': `AWS.SimpleQueueService.${error.code};Sender` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    queueUrl: (name) => `${endpoint}/${ACCOUNT}/${name}`,
    visibilityChanges,
    bodies: (name) => queues.get(name)?.messages.map((message) => message.body) ?? [],
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

class SqsError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Events as AWS sends them, for the episode tests.
 *
 * S3 → EventBridge "Object Created", in the shape the Amazon S3 User Guide
 * documents ("EventBridge event message structure", example "Object created",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html):
 *   { "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
 *     "source": "aws.s3", "account": "111122223333", "time": "2021-11-12T00:00:00Z", "region": "ca-central-1",
 *     "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
 *     "detail": { "version": "0", "bucket": { "name": "amzn-s3-demo-bucket1" },
 *       "object": { "key": "example-key", "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184",
 *                   "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", "sequencer": "617f08299329d189" },
 *       "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012", "source-ip-address": "1.2.3.4",
 *       "reason": "PutObject" } }
 * An EventBridge rule whose target is an SQS queue sends the whole event as the message body.
 *
 * SQS → Lambda, one record per message (AWS Lambda Developer Guide, "Using Lambda with Amazon SQS",
 * example standard queue message event): messageId, receiptHandle, body, attributes
 * (ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp),
 * messageAttributes, md5OfBody, eventSource "aws:sqs", eventSourceARN, awsRegion.
 */
import { createHash, randomUUID } from 'node:crypto';

export function objectCreatedEvent(bucket: string, key: string, etag: string, size: number, versionId?: string): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size, etag, ...(versionId === undefined ? {} : { 'version-id': versionId }), sequencer: '617f08299329d189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '111122223333',
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
  };
}

export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly messageAttributes: Record<string, never>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export function sqsRecord(body: string, receiveCount = 1, messageId: string = randomUUID()): SqsRecord {
  const now = String(Date.now());
  return {
    messageId,
    receiptHandle: `${messageId}#${receiveCount}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: now, SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:framescore-EpisodeQueue',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SqsRecord[]): { Records: SqsRecord[] } {
  return { Records: records };
}

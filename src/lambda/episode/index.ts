/**
 * The episode function: SQS (batch size 1, ReportBatchItemFailures) →
 * processEpisode for each record → a partial batch response. Clients and
 * settings are created once per environment.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { errorMessage } from '../../core/errors.js';
import { batchResponse, type SqsBatchResponse } from './batch-response.js';
import { processEpisode, type EpisodeDeps } from './process-episode.js';
import { eventPublisher } from './publish.js';
import { classifierModelSha256 } from './model-identity.js';
import { retryBackoff, type RetryBackoff } from './retry-backoff.js';
import { classifierEpisodeRunner } from './run-classify.js';
import { settingsFromEnv } from './settings.js';
import { EpisodeStorage } from './storage.js';

/** The parts of an SQS event the function reads (aws-lambda's SQSEvent, without the dependency). */
export interface SqsEvent {
  readonly Records: ReadonlyArray<SqsEventRecord>;
}

export interface SqsEventRecord {
  readonly messageId: string;
  readonly body: string;
  readonly receiptHandle?: string;
  readonly eventSourceARN?: string;
  readonly attributes?: { readonly ApproximateReceiveCount?: string };
}

export interface LambdaContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis(): number;
}

const log = (fields: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify({ fn: 'framescore-episode', ...fields })}\n`); };

let deps: EpisodeDeps | undefined;
let backoff: RetryBackoff | undefined;

/** The package's own ffprobe (scripts/package-episode.ts puts it beside the bundle), unless FFPROBE_PATH names another. */
function useBundledFfprobe(): void {
  const bundled = fileURLToPath(new URL('./bin/ffprobe', import.meta.url));
  if ((process.env.FFPROBE_PATH ?? '') === '' && existsSync(bundled)) process.env.FFPROBE_PATH = bundled;
}

/** An endpoint from the environment (an emulator in tests); empty means AWS's own. */
function endpoint(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function setUp(): EpisodeDeps {
  const settings = settingsFromEnv(process.env);
  useBundledFfprobe();
  const s3Endpoint = endpoint('AWS_ENDPOINT_URL_S3');
  // Path-style only for an S3-compatible endpoint (tests).
  const s3 = new S3Client({ endpoint: s3Endpoint, forcePathStyle: s3Endpoint !== undefined });
  const events = new EventBridgeClient({ endpoint: endpoint('AWS_ENDPOINT_URL_EVENTBRIDGE') });
  // As many attempts as the run engine gives a frame batch: a throttled warm-up is retried, not a failed episode.
  const lambda = new LambdaClient({ endpoint: endpoint('AWS_ENDPOINT_URL_LAMBDA'), maxAttempts: 6 });
  return {
    settings, storage: new EpisodeStorage(s3), publish: eventPublisher(events, settings.eventBusName),
    classify: classifierEpisodeRunner({ functionName: settings.classifier, invokeTimeoutMs: settings.invokeTimeoutMs }, process.env, (message) => log({ message })),
    modelIdentity: classifierModelSha256(lambda, settings.classifier),
    log,
  };
}

export async function handler(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse> {
  deps ??= setUp();
  backoff ??= retryBackoff(process.env, new SQSClient({ endpoint: endpoint('AWS_ENDPOINT_URL_SQS') }), endpoint('AWS_ENDPOINT_URL_SQS'), (fields) => log(fields));
  const retry: string[] = [];
  for (const record of event.Records ?? []) {
    try {
      const result = await processEpisode({
        messageId: record.messageId, body: record.body, receiveCount: receiveCountOf(record.attributes?.ApproximateReceiveCount),
        remainingMs: () => context.getRemainingTimeInMillis(),
      }, deps);
      if (result.status === 'failed' && result.retry) retry.push(record.messageId);
    } catch (error) {
      // Publishing failed: SQS delivers the message again.
      log({ outcome: 'error', messageId: record.messageId, error: errorMessage(error) });
      retry.push(record.messageId);
    }
    if (retry.includes(record.messageId)) await backoff(record);
  }
  return batchResponse(retry);
}

/** SQS's ApproximateReceiveCount; a missing or garbled one counts as a first delivery, so it never claims the dead-letter queue. */
function receiveCountOf(raw: string | undefined): number {
  const count = Number(raw);
  return Number.isInteger(count) && count >= 1 ? count : 1;
}

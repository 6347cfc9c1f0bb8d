/**
 * The episode function: SQS (batch size 1, ReportBatchItemFailures) →
 * processEpisode for each record → a partial batch response. Clients and
 * settings are created once per environment.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { errorMessage } from '../../core/errors.js';
import { batchResponse, type SqsBatchResponse } from './batch-response.js';
import { processEpisode, type EpisodeDeps } from './process-episode.js';
import { eventPublisher } from './publish.js';
import { classifierEpisodeRunner } from './run-classify.js';
import { settingsFromEnv } from './settings.js';
import { EpisodeStorage } from './storage.js';

/** The parts of an SQS event the function reads (aws-lambda's SQSEvent, without the dependency). */
export interface SqsEvent {
  readonly Records: ReadonlyArray<{ readonly messageId: string; readonly body: string; readonly attributes?: { readonly ApproximateReceiveCount?: string } }>;
}

export interface LambdaContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis(): number;
}

const log = (fields: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify({ fn: 'framescore-episode', ...fields })}\n`); };

let deps: EpisodeDeps | undefined;

function setUp(): EpisodeDeps {
  const settings = settingsFromEnv(process.env);
  // Path-style only for an S3-compatible endpoint (tests); AWS_ENDPOINT_URL_S3 is honoured by the SDK itself.
  const s3 = new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined && process.env.AWS_ENDPOINT_URL_S3 !== '' });
  const events = new EventBridgeClient({});
  return {
    settings, storage: new EpisodeStorage(s3), publish: eventPublisher(events, settings.eventBusName),
    classify: classifierEpisodeRunner({ functionName: settings.classifier, invokeTimeoutMs: settings.invokeTimeoutMs }, process.env, (message) => log({ message })),
    log,
  };
}

export async function handler(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse> {
  deps ??= setUp();
  const retry: string[] = [];
  for (const record of event.Records ?? []) {
    try {
      const result = await processEpisode({
        messageId: record.messageId, body: record.body, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1'),
        remainingMs: () => context.getRemainingTimeInMillis(),
      }, deps);
      if (result.status === 'failed' && result.retry) retry.push(record.messageId);
    } catch (error) {
      // Publishing the failure failed too: SQS delivers the message again.
      log({ outcome: 'error', messageId: record.messageId, error: errorMessage(error) });
      retry.push(record.messageId);
    }
  }
  return batchResponse(retry);
}

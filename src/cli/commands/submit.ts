/**
 * framescore submit: sends objects (s3:// objects, s3:// prefixes ending in
 * "/", or a --manifest of them) to the unattended flow's queue, so a backfill
 * takes the same path, limits and idempotency as an upload.
 * stdout: one JSON line per submitted episode; exit 2 when an input was
 * missing or not an S3 URI (the others are submitted), 3 when SQS refused some.
 */
import { HeadObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { InputError } from '../../core/errors.js';
import type { ObjectRef } from '../../lambda/episode/object-ref.js';
import { CONFIG_NAME } from '../../lambda/episode/keys.js';
import { sendEpisodes } from '../../run/queue/episode-queue.js';
import { isVideoKey } from '../../run/queue/video-keys.js';
import { createS3Client } from '../../run/s3/client.js';
import { parseS3Object, parseS3Prefix } from '../../run/s3/uri.js';
import type { CommandContext, CommandStatus } from '../context.js';
import { UsageError } from '../errors.js';
import { readInputs } from '../flags/sampling-flags.js';
import { awsFailure, createSqsClient, flowLocations, type QueueFlags } from '../../run/queue/clients.js';

export interface SubmitFlags extends QueueFlags {
  readonly manifest?: string | undefined;
  readonly s3Endpoint?: string | undefined;
}

type Episode = Omit<ObjectRef, 'origin'>;

export async function submitCommand(args: string[], flags: SubmitFlags, context: CommandContext): Promise<CommandStatus> {
  const inputs = await readInputs(args, flags);
  if (inputs.length === 0) throw new UsageError('submit needs s3:// objects or prefixes (ending in "/"), or --manifest FILE');
  const { queueUrl } = await flowLocations(flags, context.env);
  const s3 = createS3Client({ profile: flags.profile, region: flags.region, s3Endpoint: flags.s3Endpoint, env: context.env });
  const episodes: Episode[] = [];
  let missing = 0;
  let skipped = 0;
  try {
    for (const input of inputs) {
      try {
        const found = input.endsWith('/') ? await listVideos(s3, input) : [await headVideo(s3, input)];
        skipped += found.filter((entry) => entry === 'skipped').length;
        episodes.push(...found.filter((entry): entry is Episode => entry !== 'skipped'));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        context.messages.error(error.message);
        missing += 1;
      }
    }
  } finally {
    s3.destroy();
  }
  const unique = [...new Map(episodes.map((episode) => [`${episode.bucket}/${episode.key}`, episode])).values()];
  const sqs = createSqsClient(flags, context.env, queueUrl);
  let results;
  try {
    results = await sendEpisodes(sqs, queueUrl, unique);
  } catch (error) {
    throw awsFailure(`send to the episode queue ${queueUrl}`, error);
  } finally {
    sqs.destroy();
  }
  for (const result of results) {
    const line = { input: `s3://${result.ref.bucket}/${result.ref.key}`, etag: result.ref.etag ?? null, ...(result.error === undefined ? { messageId: result.messageId } : { error: result.error }) };
    context.stdout.write(`${JSON.stringify(line)}\n`);
  }
  const refused = results.filter((result) => result.error !== undefined).length;
  context.messages.info(`submitted ${results.length - refused} episode${results.length - refused === 1 ? '' : 's'} to ${queueUrl}${skipped > 0 ? `; skipped ${skipped} object${skipped === 1 ? '' : 's'} that are not videos` : ''}${refused > 0 ? `; SQS refused ${refused}` : ''}`);
  if (missing > 0) return 'bad-input';
  return refused > 0 ? 'failures' : 'ok';
}

/** Every video under a prefix (the template rule's suffixes), with its ETag; config objects and others are skipped. */
async function listVideos(s3: S3Client, uri: string): Promise<Array<Episode | 'skipped'>> {
  const { bucket, key: prefix } = parseS3Prefix(uri, `input "${uri}"`);
  const found: Array<Episode | 'skipped'> = [];
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        found.push(isVideoKey(key) && !key.endsWith(CONFIG_NAME) ? { bucket, key, etag: object.ETag?.replaceAll('"', ''), size: object.Size } : 'skipped');
      }
    }
  } catch (error) {
    throw awsFailure(`list "${uri}"`, error);
  }
  if (found.length === 0) throw new InputError(`input "${uri}": no objects under this prefix`);
  return found;
}

async function headVideo(s3: S3Client, uri: string): Promise<Episode> {
  const { bucket, key } = parseS3Object(uri, `input "${uri}"`);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { bucket, key, etag: head.ETag?.replaceAll('"', ''), versionId: head.VersionId, size: head.ContentLength };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) throw new InputError(`input "${uri}": no such object`);
    throw awsFailure(`read "${uri}"`, error);
  }
}

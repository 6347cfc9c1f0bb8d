import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import path from 'node:path';
import { InputError } from '../../core/errors.js';
import type { InputContext, OpenedInput } from '../opened-input.js';
import { createS3Client, s3Endpoint } from './client.js';
import { describeS3Error, isNotFound } from './errors.js';
import { refuseOversizedImageAt } from '../input.js';
import { relayRangedUrl } from './ranged-url.js';
import { parseS3Object, type S3Location } from './uri.js';

/**
 * How long ffmpeg may keep reading through one presigned URL. Every frame opens
 * it anew, so it must outlast the slowest whole run over one video.
 */
export const PRESIGN_SECONDS = 6 * 60 * 60;

/**
 * Opens s3://bucket/key as a video: HeadObject first (size, and one clear line
 * when the bucket or key is missing, access is denied or the region is wrong),
 * then a presigned GET URL that ffprobe/ffmpeg read by byte ranges through a
 * loopback relay (see range-relay.ts), so they fetch only the blocks they need.
 * The presigned URL is a credential: it never leaves this process.
 */
export async function openS3Video(uri: string, context: InputContext): Promise<OpenedInput> {
  const what = `cannot read video "${uri}"`;
  const location = parseS3Object(uri, what);
  const client = createS3Client(context);
  let presigned: string;
  let sizeBytes: number;
  let etag: string;
  try {
    ({ size: sizeBytes, etag } = await headVideo(client, location, what, s3Endpoint(context)));
    presigned = await getSignedUrl(client, new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), { expiresIn: PRESIGN_SECONDS });
  } finally {
    client.destroy();
  }
  const relay = await relayRangedUrl(presigned, sizeBytes, path.posix.basename(location.key));
  await refuseOversizedImageAt(relay.url, uri);
  return { source: uri, input: relay.url, fetchedBytes: relay.fetchedBytes, sizeBytes, s3: { bucket: location.bucket, key: location.key, etag, size: sizeBytes } };
}

async function headVideo(client: S3Client, location: S3Location, what: string, endpoint: string | undefined): Promise<{ size: number; etag: string }> {
  let size: number | undefined;
  let etag: string | undefined;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
    size = head.ContentLength;
    etag = head.ETag;
  } catch (error) {
    // HEAD responses have no body, so a 404 does not say whether the bucket or the key is missing: ask.
    if (isNotFound(error)) throw new InputError(`${what}: ${await missingWhat(client, location)}`, { cause: error });
    const reason = describeS3Error(error, { endpoint });
    // Without s3:ListBucket, S3 answers a HEAD for a missing key with 403, not 404.
    throw new InputError(`${what}: ${reason === 'access denied' ? `${reason} (S3 also says this for a missing key when you may not list the bucket)` : reason}`, { cause: error });
  }
  if (size === undefined) throw new InputError(`${what}: S3 did not say how large the object is`);
  if (size === 0) throw new InputError(`${what}: the object is empty (0 bytes)`);
  return { size, etag: etag ?? '' };
}

async function missingWhat(client: S3Client, location: S3Location): Promise<string> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: location.bucket }));
    return 'no such key';
  } catch (error) {
    return isNotFound(error) ? `no such bucket "${location.bucket}"` : 'no such key';
  }
}

import { InputError } from '../../core/errors.js';

/** An object or key prefix named by an s3:// URI. */
export interface S3Location {
  readonly bucket: string;
  /** The object key; for a prefix, '' or ending in '/'. */
  readonly key: string;
}

/** S3 bucket naming rules: 3–63 characters, lower case, digits, dots and hyphens, no leading/trailing punctuation. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses s3://bucket/key (an object). `what` names the argument in messages, e.g. `video "s3://…"`. */
export function parseS3Object(uri: string, what: string): S3Location {
  const location = parseS3(uri, what);
  if (location.key === '' || location.key.endsWith('/')) throw new InputError(`${what}: malformed S3 URI: no object key (expected s3://bucket/key)`);
  return location;
}

/** Parses s3://bucket/prefix/ (a model directory); a prefix without a trailing slash gets one. */
export function parseS3Prefix(uri: string, what: string): S3Location {
  const location = parseS3(uri, what);
  return { bucket: location.bucket, key: location.key === '' || location.key.endsWith('/') ? location.key : `${location.key}/` };
}

export function s3Uri(location: S3Location, name = ''): string {
  return `s3://${location.bucket}/${location.key}${name}`;
}

function parseS3(uri: string, what: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(uri);
  if (!match) throw new InputError(`${what}: malformed S3 URI (expected s3://bucket/key)`);
  const bucket = match[1] ?? '';
  if (bucket === '') throw new InputError(`${what}: malformed S3 URI: no bucket name (expected s3://bucket/key)`);
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new InputError(`${what}: malformed S3 URI: "${bucket}" is not a valid bucket name (3–63 characters: a-z, 0-9, dots, hyphens)`);
  }
  return { bucket, key: match[2] ?? '' };
}

/**
 * Reads byte ranges of the one S3 object a sample request names: GetObject with a
 * Range and If-Match on the ETag the client indexed, so a changed object fails
 * instead of decoding the wrong bytes. Nearby ranges are coalesced into one GET.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { errorMessage } from '../../core/errors.js';

/** Why the object could not be read: each frame that needed it fails with this code. */
export class ObjectReadError extends Error {
  override name = 'ObjectReadError';
  readonly code: 'OBJECT_CHANGED' | 'OBJECT_NOT_FOUND' | 'ACCESS_DENIED' | 'BAD_RANGE' | 'READ_FAILED';
  constructor(code: ObjectReadError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly size: number;
}

export interface ByteRange {
  readonly from: number;
  /** Exclusive. */
  readonly to: number;
}

/** Ranges closer than this are read in one GET: a GET costs more than 256 KB of in-region transfer. */
const COALESCE_GAP = 256 * 1024;
const PARALLEL_GETS = 8;

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

export function coalesce(ranges: readonly ByteRange[], gap = COALESCE_GAP): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const merged: ByteRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.from <= last.to + gap) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, range.to) };
    else merged.push(range);
  }
  return merged;
}

export class ObjectReader {
  bytesRead = 0;
  requests = 0;
  private readonly limit = pLimit(PARALLEL_GETS);

  constructor(private readonly client: S3Client, private readonly object: ObjectRef) {}

  private head: Promise<number | undefined> | undefined;

  /**
   * Checks the object still is the one indexed (for the per-frame path, whose ffmpeg
   * cannot send If-Match) and returns its real length: one HEAD per reader, however often asked.
   */
  check(): Promise<number | undefined> {
    this.head ??= (async () => {
      this.requests += 1;
      let answer;
      try {
        answer = await this.client.send(new HeadObjectCommand({ Bucket: this.object.bucket, Key: this.object.key, IfMatch: this.object.etag }));
      } catch (error) {
        throw readError(error, this.object);
      }
      this.sameObject(answer.ETag);
      return answer.ContentLength;
    })();
    return this.head;
  }

  /** Reads each coalesced range once; returns a function that slices any requested range out of them. */
  async read(ranges: readonly ByteRange[]): Promise<(range: ByteRange) => Buffer | ObjectReadError> {
    const merged = coalesce(ranges);
    const fetched = await Promise.all(merged.map((range) => this.limit(() => this.get(range).catch((error: unknown) => readError(error, this.object)))));
    return (range) => {
      const at = merged.findIndex((m) => m.from <= range.from && range.to <= m.to);
      const got = fetched[at];
      if (got === undefined) return new ObjectReadError('BAD_RANGE', `bytes ${range.from}–${range.to} were not read`);
      if (got instanceof ObjectReadError) return got;
      const start = range.from - merged[at]!.from;
      if (start + (range.to - range.from) > got.length) return new ObjectReadError('BAD_RANGE', `bytes ${range.from}–${range.to} lie past the end of the object (${this.object.size} bytes)`);
      return got.subarray(start, start + (range.to - range.from));
    };
  }

  /** One range, read now (for the range relay the per-frame seek reads through). */
  readRange(range: ByteRange): Promise<Buffer> {
    return this.limit(() => this.get(range).catch((error: unknown) => { throw readError(error, this.object); }));
  }

  private async get(range: ByteRange): Promise<Buffer> {
    if (range.from >= this.object.size || range.to > this.object.size) throw new ObjectReadError('BAD_RANGE', `bytes ${range.from}–${range.to} lie past the end of the object (${this.object.size} bytes)`);
    this.requests += 1;
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.object.bucket, Key: this.object.key, Range: `bytes=${range.from}-${range.to - 1}`, IfMatch: this.object.etag }));
    const bytes = Buffer.from(await response.Body!.transformToByteArray());
    this.bytesRead += bytes.length;
    this.sameObject(response.ETag);
    return bytes;
  }

  /** S3 refuses a changed object by If-Match; servers that ignore If-Match are caught by the ETag they answer with. */
  private sameObject(etag: string | undefined): void {
    if (etag !== undefined && etag !== this.object.etag) {
      throw new ObjectReadError('OBJECT_CHANGED', `s3://${this.object.bucket}/${this.object.key} changed since it was indexed (ETag ${etag}, not ${this.object.etag})`);
    }
  }
}

function readError(error: unknown, object: ObjectRef): ObjectReadError {
  if (error instanceof ObjectReadError) return error;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (error as { name?: string }).name ?? '';
  const uri = `s3://${object.bucket}/${object.key}`;
  if (status === 412 || name === 'PreconditionFailed') return new ObjectReadError('OBJECT_CHANGED', `${uri} changed since it was indexed (ETag is no longer ${object.etag})`, { cause: error });
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') return new ObjectReadError('OBJECT_NOT_FOUND', `${uri} does not exist (deleted since it was indexed?)`, { cause: error });
  if (status === 403 || name === 'AccessDenied') return new ObjectReadError('ACCESS_DENIED', `the function may not read ${uri} (s3:GetObject denied)`, { cause: error });
  if (status === 416 || name === 'InvalidRange') return new ObjectReadError('BAD_RANGE', `a range lies past the end of ${uri}`, { cause: error });
  return new ObjectReadError('READ_FAILED', `cannot read ${uri}: ${errorMessage(error)}`, { cause: error });
}

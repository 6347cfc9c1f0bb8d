/**
 * The episode function's S3 calls: the object's current version, the
 * per-prefix config, and the reports, the JSON one written last with
 * If-None-Match: * so that it is the commit point (written once, by one run).
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { unquote } from './object-ref.js';
import type { ObjectIdentity, ReportExtension } from './keys.js';

export type Current =
  | { readonly status: 'found'; readonly identity: ObjectIdentity }
  | { readonly status: 'deleted' }
  | { readonly status: 'changed'; readonly etag: string | undefined };

const CONTENT_TYPES: Record<ReportExtension, string> = { json: 'application/json', csv: 'text/csv; charset=utf-8', html: 'text/html; charset=utf-8' };

export class EpisodeStorage {
  constructor(private readonly s3: S3Client) {}

  /** The object as it is now, checked against the ETag/version the message named (If-Match / VersionId). */
  async current(bucket: string, key: string, expected: { etag?: string | undefined; versionId?: string | undefined }): Promise<Current> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: expected.versionId, IfMatch: expected.etag === undefined ? undefined : `"${expected.etag}"` }));
      const etag = head.ETag === undefined ? undefined : unquote(head.ETag);
      if (etag === undefined) throw new Error(`S3 answered HeadObject for s3://${bucket}/${key} without an ETag`);
      // Some S3-compatible servers ignore If-Match: compare as well.
      if (expected.etag !== undefined && expected.versionId === undefined && etag !== expected.etag) return { status: 'changed', etag };
      return { status: 'found', identity: { etag, versionId: head.VersionId ?? expected.versionId } };
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404) return { status: 'deleted' };
      if (status === 412) return { status: 'changed', etag: undefined };
      throw error;
    }
  }

  /** A JSON object's parsed body, or undefined when there is none. */
  async readJson(bucket: string, key: string): Promise<{ value: unknown } | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = await response.Body!.transformToString();
      try {
        return { value: JSON.parse(text) as unknown };
      } catch {
        return { value: new SyntaxError(`s3://${bucket}/${key} is not JSON`) };
      }
    } catch (error) {
      if (httpStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** The CSV and HTML first, then the JSON only if absent; 'exists' when another run wrote it first. */
  async writeReports(bucket: string, keys: Record<ReportExtension, string>, bodies: Record<ReportExtension, string>): Promise<'written' | 'exists'> {
    for (const extension of ['csv', 'html'] as const) {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys[extension], Body: bodies[extension], ContentType: CONTENT_TYPES[extension] }));
    }
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys.json, Body: bodies.json, ContentType: CONTENT_TYPES.json, IfNoneMatch: '*' }));
      return 'written';
    } catch (error) {
      // 412: the key exists; 409: a concurrent conditional write to it is in progress (S3 asks to retry; the other one wins).
      const status = httpStatus(error);
      if (status === 412 || status === 409) return 'exists';
      throw error;
    }
  }
}

export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

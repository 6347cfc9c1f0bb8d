/**
 * The episode function's S3 calls: the object's current version, the
 * per-prefix config, and the reports: the JSON one first with If-None-Match: *
 * so that it is the commit point (written once, by one run), then the CSV and
 * HTML by that run only, so all three always describe the same run.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { unquote } from '../../core/episode/object-ref.js';
import type { ObjectIdentity, ReportExtension } from '../../core/episode/keys.js';
import { toCsv } from '../../core/report-formats.js';
import type { Report } from '../../core/report.js';
import { renderHtmlReport } from '../../report/html-report.js';

export type Current =
  | { readonly status: 'found'; readonly identity: ObjectIdentity }
  | { readonly status: 'deleted' }
  | { readonly status: 'changed'; readonly etag: string | undefined };

const CONTENT_TYPES: Record<ReportExtension, string> = { json: 'application/json', csv: 'text/csv; charset=utf-8', html: 'text/html; charset=utf-8' };

export class EpisodeStorage {
  constructor(private readonly s3: S3Client) {}

  /**
   * The object as it is now, checked against the ETag/version the message named. The run reads
   * s3://bucket/key, the latest version, so with a version id the latest must still be that version
   * (same ETag): a newer upload is OBJECT_CHANGED (its own event classifies it), a delete marker on
   * top or as the named version is OBJECT_DELETED.
   */
  async current(bucket: string, key: string, expected: { etag?: string | undefined; versionId?: string | undefined }): Promise<Current> {
    if (expected.versionId === undefined || expected.versionId === 'null') return this.latest(bucket, key, expected.etag, expected.versionId);
    let etag: string;
    try {
      const named = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: expected.versionId }));
      if (named.DeleteMarker === true) return { status: 'deleted' };
      etag = requireEtag(named.ETag, bucket, key);
    } catch (error) {
      // 404: no such version; 405: the version is a delete marker (S3 answers HEAD on one with 405).
      const status = httpStatus(error);
      if (status === 404 || status === 405) return { status: 'deleted' };
      throw error;
    }
    if (expected.etag !== undefined && etag !== expected.etag) return { status: 'changed', etag };
    const latest = await this.latest(bucket, key, etag, undefined);
    return latest.status === 'found' ? { status: 'found', identity: { etag, versionId: expected.versionId } } : latest;
  }

  /** The latest version, If-Match the ETag when one is expected. */
  private async latest(bucket: string, key: string, expectedEtag: string | undefined, versionId: string | undefined): Promise<Current> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: expectedEtag === undefined ? undefined : `"${expectedEtag}"` }));
      const etag = requireEtag(head.ETag, bucket, key);
      // Some S3-compatible servers ignore If-Match: compare as well.
      if (expectedEtag !== undefined && etag !== expectedEtag) return { status: 'changed', etag };
      return { status: 'found', identity: { etag, versionId: head.VersionId ?? versionId } };
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404 || status === 405) return { status: 'deleted' };
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

  /** Writes the JSON report only if the key is absent (the commit point); 'exists' when another run wrote it first. */
  async commitJson(bucket: string, key: string, body: string): Promise<'written' | 'exists'> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: CONTENT_TYPES.json, IfNoneMatch: '*' }));
      return 'written';
    } catch (error) {
      // 412: the key exists; 409: a concurrent conditional write to it is in progress (S3 asks to retry; the other one wins).
      const status = httpStatus(error);
      if (status === 412 || status === 409) return 'exists';
      throw error;
    }
  }

  /** The CSV and HTML of a committed JSON report (written only by the run whose JSON was committed). */
  async writeRendered(bucket: string, keys: Record<ReportExtension, string>, bodies: Record<'csv' | 'html', string>): Promise<void> {
    for (const extension of ['csv', 'html'] as const) {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys[extension], Body: bodies[extension], ContentType: CONTENT_TYPES[extension] }));
    }
  }

  /**
   * The CSV and HTML a crash after the JSON commit left unwritten, rendered from the stored JSON
   * (the HTML then has no thumbnails: the frames' pixels are not in the JSON).
   */
  async writeMissing(bucket: string, keys: Record<ReportExtension, string>, report: Report): Promise<void> {
    const missing: Array<'csv' | 'html'> = [];
    for (const extension of ['csv', 'html'] as const) if (!(await this.exists(bucket, keys[extension]))) missing.push(extension);
    if (missing.length === 0) return;
    const bodies = { csv: toCsv(report), html: missing.includes('html') ? await renderHtmlReport(report, new Map()) : '' };
    for (const extension of missing) {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys[extension], Body: bodies[extension], ContentType: CONTENT_TYPES[extension] }));
    }
  }

  private async exists(bucket: string, key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (error) {
      if (httpStatus(error) === 404) return false;
      throw error;
    }
  }
}

function requireEtag(quoted: string | undefined, bucket: string, key: string): string {
  if (quoted === undefined) throw new Error(`S3 answered HeadObject for s3://${bucket}/${key} without an ETag`);
  return unquote(quoted);
}

export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/**
 * Where things live in the bucket: the report of one object version under one
 * set of options, the per-prefix config objects, and the prefix rules.
 */
import type { ObjectRef } from './object-ref.js';

/** The per-prefix config object's name (config-file rule: the nearest one wins). */
export const CONFIG_NAME = '_framescore.json';
export const REPORT_EXTENSIONS = ['json', 'csv', 'html'] as const;
export type ReportExtension = (typeof REPORT_EXTENSIONS)[number];

/** The object version a report is about: the version id when the bucket keeps versions, else the ETag. */
export interface ObjectIdentity {
  readonly etag: string;
  readonly versionId?: string | undefined;
}

/**
 * REPORT_PREFIX + key + "/" + identity + "." + options hash + ".ext", e.g.
 * framescore/incoming/ep1.mp4/e-9b2cf5….3f1a0c2b9d4e.json. The same version
 * with the same options always maps to the same keys; anything else to others.
 * A partial report (frames that failed on the message's last delivery) gets
 * ".partial" before the extension: it is never reused, so a later delivery or
 * submit classifies again and the complete report takes the normal keys.
 */
export function reportKeys(reportPrefix: string, key: string, identity: ObjectIdentity, hash: string, options: { partial?: boolean } = {}): Record<ReportExtension, string> {
  const version = identity.versionId !== undefined && identity.versionId !== 'null' ? `v-${safe(identity.versionId)}` : `e-${safe(identity.etag)}`;
  const base = `${reportPrefix}${key}/${version}.${hash}${options.partial === true ? '.partial' : ''}`;
  return { json: `${base}.json`, csv: `${base}.csv`, html: `${base}.html` };
}

/** Version ids and multipart ETags are URL-safe already; anything else is replaced so a key stays a key. */
function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Candidate config objects for key, nearest folder first, up to and including `root`. */
export function configKeys(key: string, root: string): string[] {
  const keys: string[] = [];
  let folder = key.slice(0, key.lastIndexOf('/') + 1);
  while (folder.length >= root.length && folder.startsWith(root)) {
    keys.push(`${folder}${CONFIG_NAME}`);
    if (folder === '') break;
    folder = folder.slice(0, folder.slice(0, -1).lastIndexOf('/') + 1);
  }
  return keys;
}

/** Two prefixes overlap when one starts with the other (an empty prefix is the whole bucket). */
export function prefixesOverlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** The prefixes that decide which objects the flow takes. */
export interface FlowPrefixes {
  readonly bucket: string;
  /** New objects here start the flow (EventBridge). */
  readonly inputPrefix: string;
  /** What the classifier may read (VideoPrefix; '' is the whole bucket): `framescore submit` may send any object here. */
  readonly videoPrefix: string;
  readonly reportPrefix: string;
}

/** Why this object is not one the flow classifies, or undefined when it is. */
export function outsideInput(ref: Pick<ObjectRef, 'bucket' | 'key' | 'origin'>, prefixes: FlowPrefixes): string | undefined {
  const { bucket, inputPrefix, videoPrefix, reportPrefix } = prefixes;
  if (ref.bucket !== bucket) return `bucket "${ref.bucket}" is not the stack's video bucket "${bucket}"`;
  if (ref.origin === 'eventbridge' && !ref.key.startsWith(inputPrefix)) return `key "${ref.key}" is not under the input prefix "${inputPrefix}"`;
  if (!ref.key.startsWith(videoPrefix)) return `key "${ref.key}" is not under the prefix the classifier may read, "${videoPrefix}"`;
  if (ref.key.startsWith(reportPrefix)) return `key "${ref.key}" is under the report prefix "${reportPrefix}"`;
  if (ref.key.endsWith(CONFIG_NAME)) return `key "${ref.key}" is a config object`;
  return undefined;
}

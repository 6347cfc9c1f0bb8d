/**
 * What an SQS message on the episode queue names: one S3 object, from either
 * an S3 "Object Created" event that EventBridge delivered (the rule's target is
 * the queue, so the body is the whole event) or a `framescore submit` message.
 */

/** One object version to classify; etag and versionId as the sender saw them. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  /** Without quotes, as S3's EventBridge events carry it. */
  readonly etag?: string | undefined;
  readonly versionId?: string | undefined;
  readonly size?: number | undefined;
  readonly origin: 'eventbridge' | 'submit';
}

/** The body of a message `framescore submit` sends. */
export interface SubmitMessage {
  readonly framescore: 'episode';
  readonly v: 1;
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string;
  readonly versionId?: string;
  readonly size?: number;
}

export type ParsedBody = { readonly ok: true; readonly ref: ObjectRef } | { readonly ok: false; readonly problem: string };

/** Parses a message body; anything that is neither shape is a problem (the message is dropped with an event, never retried). */
export function parseMessageBody(body: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'the message body is not JSON' };
  }
  if (!isRecord(value)) return { ok: false, problem: 'the message body is not a JSON object' };
  if (value.framescore === 'episode') return fromSubmit(value);
  if (value.source === 'aws.s3') return fromEventBridge(value);
  return { ok: false, problem: 'the message is neither an S3 "Object Created" event nor a framescore submit message' };
}

// The shape AWS documents in "EventBridge event message structure" (Amazon S3 User Guide,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html): detail.bucket.name,
// detail.object.{key, size, etag, version-id, sequencer}, detail.reason. Keys arrive as S3 stores
// them (not URL-encoded, unlike S3's own notifications to SQS/Lambda).
function fromEventBridge(event: Record<string, unknown>): ParsedBody {
  if (event['detail-type'] !== 'Object Created') return { ok: false, problem: `an S3 "${String(event['detail-type'])}" event is not an object to classify` };
  const detail = event.detail;
  if (!isRecord(detail) || !isRecord(detail.bucket) || !isRecord(detail.object)) return { ok: false, problem: 'the S3 event has no detail.bucket or detail.object' };
  const bucket = detail.bucket.name;
  const { key, etag, size } = detail.object;
  const versionId = detail.object['version-id'];
  if (typeof bucket !== 'string' || bucket === '' || typeof key !== 'string' || key === '') return { ok: false, problem: 'the S3 event names no bucket or key' };
  return {
    ok: true,
    ref: { bucket, key, etag: typeof etag === 'string' ? unquote(etag) : undefined, versionId: typeof versionId === 'string' ? versionId : undefined, size: typeof size === 'number' ? size : undefined, origin: 'eventbridge' },
  };
}

function fromSubmit(message: Record<string, unknown>): ParsedBody {
  const { bucket, key, etag, versionId, size } = message;
  if (message.v !== 1) return { ok: false, problem: `submit message version ${String(message.v)} is not 1` };
  if (typeof bucket !== 'string' || bucket === '' || typeof key !== 'string' || key === '') return { ok: false, problem: 'the submit message names no bucket or key' };
  return {
    ok: true,
    ref: { bucket, key, etag: typeof etag === 'string' ? unquote(etag) : undefined, versionId: typeof versionId === 'string' ? versionId : undefined, size: typeof size === 'number' ? size : undefined, origin: 'submit' },
  };
}

export function submitMessage(ref: Omit<ObjectRef, 'origin'>): SubmitMessage {
  return {
    framescore: 'episode', v: 1, bucket: ref.bucket, key: ref.key,
    ...(ref.etag === undefined ? {} : { etag: unquote(ref.etag) }),
    ...(ref.versionId === undefined ? {} : { versionId: ref.versionId }),
    ...(ref.size === undefined ? {} : { size: ref.size }),
  };
}

/** S3 APIs quote ETags ("abc"); EventBridge events do not. */
export function unquote(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

/** An S3 object's ARN, what EventBridge's PutEvents takes in Resources. */
export function objectArn(ref: Pick<ObjectRef, 'bucket' | 'key'>): string {
  return `arn:aws:s3:::${ref.bucket}/${ref.key}`;
}

export function objectUri(ref: Pick<ObjectRef, 'bucket' | 'key'>): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

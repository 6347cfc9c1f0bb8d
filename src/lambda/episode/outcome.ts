/**
 * An episode's outcome as data, and the EventBridge events it becomes:
 * `Episode Classified` (summary and report URIs) or `Episode Failed` (cause).
 * Source "framescore"; consumers match on detail-type and dedupe on
 * detail.reports.json (an episode's event may be published more than once:
 * a redelivered message whose report exists publishes it again).
 */
import type { Report } from '../../core/report.js';
import type { ReportExtension } from '../../core/episode/keys.js';
import { objectUri, type ObjectRef } from '../../core/episode/object-ref.js';
import type { EpisodeOptions } from './options.js';

export const EVENT_SOURCE = 'framescore';
export const DETAIL_TYPES = { classified: 'Episode Classified', failed: 'Episode Failed' } as const;

/** Final causes: retrying cannot change them, so the message is deleted. The rest are retried, then dead-lettered. */
export const FINAL_CAUSES = ['INVALID_MESSAGE', 'NOT_AN_INPUT', 'OBJECT_DELETED', 'OBJECT_CHANGED', 'CONFIG_INVALID', 'REPORT_CORRUPT', 'KEY_TOO_LONG'] as const;
export const RETRIED_CAUSES = ['INPUT_UNREADABLE', 'DEADLINE', 'FRAMES_FAILED', 'CLASSIFIER_UNAVAILABLE', 'STORAGE', 'INTERNAL'] as const;
export type CauseCode = (typeof FINAL_CAUSES)[number] | (typeof RETRIED_CAUSES)[number];

export interface Cause {
  readonly code: CauseCode;
  readonly message: string;
}

export function isFinal(code: CauseCode): boolean {
  return (FINAL_CAUSES as readonly string[]).includes(code);
}

/** Which delivery of the message this is (SQS ApproximateReceiveCount) and how many the redrive policy allows. */
export interface Attempt {
  readonly receiveCount: number;
  readonly maxReceiveCount: number;
}

export interface ClassifiedDetail {
  readonly input: string;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly versionId: string | null;
  readonly reports: Record<ReportExtension, string>;
  readonly frames: { readonly total: number; readonly ok: number; readonly failed: number };
  /** Per label: the highest score and when, and frames at or over the threshold. */
  readonly labels: Record<string, { readonly max: number; readonly maxTime: number | null; readonly framesOverThreshold: number }>;
  /** Stretches over the threshold, at most MAX_SEGMENTS (the report has them all). */
  readonly segments: ReadonlyArray<{ readonly label: string; readonly start: number; readonly end: number; readonly peak: number }>;
  readonly segmentsTotal: number;
  readonly threshold: number;
  readonly model: { readonly name: string; readonly version: string; readonly sha256: string };
  /** The video's duration in seconds, and the run's wall time in ms. */
  readonly durationSeconds: number;
  readonly wallMs: number;
  /** The classifier fleet's estimated cost in USD, when the run reported one. */
  readonly costUsd: number | null;
  readonly optionsHash: string;
  readonly options: EpisodeOptions;
  /** The report already existed (a redelivered message, or another run finished first): no work was done. */
  readonly reused: boolean;
  readonly attempt: number;
}

export interface FailedDetail {
  readonly input: string | null;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly etag: string | null;
  readonly versionId: string | null;
  readonly cause: Cause;
  /** SQS will deliver the message again. */
  readonly willRetry: boolean;
  /** This was the last delivery the redrive policy allows: the message goes to the dead-letter queue. */
  readonly deadLettered: boolean;
  readonly attempt: number;
  readonly maxAttempts: number;
}

/** EventBridge's PutEvents takes at most 256 KB per entry: keep the event a summary. */
const MAX_SEGMENTS = 50;

export function classifiedDetail(
  ref: ObjectRef, identity: { etag: string; versionId?: string | undefined }, report: Report, reports: Record<ReportExtension, string>,
  extra: { optionsHash: string; options: EpisodeOptions; reused: boolean; attempt: number },
): ClassifiedDetail {
  const { summary } = report;
  const labels = Object.fromEntries(Object.entries(summary.labels).map(([label, facts]) => [label, { max: facts.max, maxTime: facts.maxTime, framesOverThreshold: facts.framesOverThreshold }]));
  return {
    input: objectUri(ref), bucket: ref.bucket, key: ref.key, etag: identity.etag, versionId: identity.versionId ?? null,
    reports, frames: summary.frames, labels,
    segments: summary.segments.slice(0, MAX_SEGMENTS).map(({ label, start, end, peak }) => ({ label, start, end, peak })),
    segmentsTotal: summary.segments.length, threshold: summary.threshold,
    model: { name: report.model.name, version: report.model.version, sha256: report.model.sha256 },
    durationSeconds: report.video.duration, wallMs: report.run.wallMs, costUsd: costOf(report), ...extra,
  };
}

export function failedDetail(ref: Partial<ObjectRef> | undefined, cause: Cause, attempt: Attempt, identity?: { etag?: string | undefined; versionId?: string | undefined }): FailedDetail {
  const willRetry = !isFinal(cause.code) && attempt.receiveCount < attempt.maxReceiveCount;
  return {
    input: ref?.bucket !== undefined && ref.key !== undefined ? objectUri({ bucket: ref.bucket, key: ref.key }) : null,
    bucket: ref?.bucket ?? null, key: ref?.key ?? null,
    etag: identity?.etag ?? ref?.etag ?? null, versionId: identity?.versionId ?? ref?.versionId ?? null,
    cause, willRetry, deadLettered: !isFinal(cause.code) && !willRetry,
    attempt: attempt.receiveCount, maxAttempts: attempt.maxReceiveCount,
  };
}

/** run.lambda.cost.usd as the fan-out's telemetry writes it; null when absent or unknown. */
function costOf(report: Report): number | null {
  const lambda = report.run.lambda as { cost?: { usd?: unknown } } | undefined;
  const total = lambda?.cost?.usd;
  return typeof total === 'number' ? total : null;
}

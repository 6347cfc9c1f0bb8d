/**
 * One SQS message → one episode: parse, check the object, find or make its
 * report, publish the outcome. Returns whether SQS should deliver it again.
 */
import { errorMessage, InputError } from '../../core/errors.js';
import { toCsv, toJson } from '../../core/report-formats.js';
import type { Report } from '../../core/report.js';
import { renderHtmlReport } from '../../report/html-report.js';
import { runBudgetMs } from './deadline.js';
import { configKeys, outsideInput, reportKeys, type FlowPrefixes, type ObjectIdentity, type ReportExtension } from './keys.js';
import { parseMessageBody, type ObjectRef } from './object-ref.js';
import { applyOverride, EpisodeConfigError, optionsHash, type EpisodeOptions } from './options.js';
import { classifiedDetail, DETAIL_TYPES, failedDetail, isFinal, type Attempt, type Cause } from './outcome.js';
import type { Publish } from './publish.js';
import type { ClassifyEpisode } from './run-classify.js';
import type { EpisodeStorage } from './storage.js';

export interface EpisodeSettings extends FlowPrefixes {
  readonly classifier: string;
  readonly defaults: EpisodeOptions;
  readonly maxReceiveCount: number;
}

export interface EpisodeDeps {
  readonly settings: EpisodeSettings;
  readonly storage: EpisodeStorage;
  readonly classify: ClassifyEpisode;
  readonly publish: Publish;
  readonly log: (fields: Record<string, unknown>) => void;
}

export interface EpisodeMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  /** Ms until Lambda would kill this invocation. */
  readonly remainingMs: () => number;
}

export type EpisodeResult =
  | { readonly status: 'classified'; readonly reused: boolean; readonly reports: Record<ReportExtension, string> }
  | { readonly status: 'failed'; readonly cause: Cause; readonly retry: boolean };

/** A failure with its cause, raised inside and turned into an event at the edge. */
class EpisodeFailure extends Error {
  override readonly name = 'EpisodeFailure';
  constructor(readonly reason: Cause, options?: ErrorOptions) {
    super(reason.message, options);
  }
}

export async function processEpisode(message: EpisodeMessage, deps: EpisodeDeps): Promise<EpisodeResult> {
  const attempt: Attempt = { receiveCount: message.receiveCount, maxReceiveCount: deps.settings.maxReceiveCount };
  const parsed = parseMessageBody(message.body);
  const ref = parsed.ok ? parsed.ref : undefined;
  let identity: ObjectIdentity | undefined;
  try {
    if (!parsed.ok) throw new EpisodeFailure({ code: 'INVALID_MESSAGE', message: parsed.problem });
    const { settings } = deps;
    const outside = outsideInput(parsed.ref, settings);
    if (outside !== undefined) throw new EpisodeFailure({ code: 'NOT_AN_INPUT', message: outside });
    const options = await effectiveOptions(parsed.ref, deps);
    identity = await currentIdentity(parsed.ref, deps);
    const hash = optionsHash(options, settings.classifier);
    const keys = reportKeys(settings.reportPrefix, parsed.ref.key, identity, hash);
    const uris = mapValues(keys, (key) => `s3://${settings.bucket}/${key}`);
    const extra = { optionsHash: hash, options, attempt: attempt.receiveCount };

    const existing = await deps.storage.readJson(settings.bucket, keys.json);
    if (existing !== undefined && !(existing.value instanceof Error)) {
      await deps.publish(DETAIL_TYPES.classified, classifiedDetail(parsed.ref, identity, existing.value as Report, uris, { ...extra, reused: true }), [uris.json]);
      deps.log({ outcome: 'classified', reused: true, input: `s3://${parsed.ref.bucket}/${parsed.ref.key}`, report: uris.json });
      return { status: 'classified', reused: true, reports: uris };
    }

    const report = await runEpisode(parsed.ref, options, message, deps, attempt);
    // The object may have been replaced while it was sampled: its report would describe bytes that are gone.
    const after = await deps.storage.current(parsed.ref.bucket, parsed.ref.key, identity);
    if (after.status !== 'found') throw new EpisodeFailure(objectGone(parsed.ref, after.status));
    const written = await deps.storage.writeReports(settings.bucket, keys, {
      json: toJson(report.report), csv: toCsv(report.report), html: await renderHtmlReport(report.report, report.images),
    });
    const reused = written === 'exists';
    await deps.publish(DETAIL_TYPES.classified, classifiedDetail(parsed.ref, identity, report.report, uris, { ...extra, reused }), [uris.json]);
    deps.log({ outcome: 'classified', reused, input: `s3://${parsed.ref.bucket}/${parsed.ref.key}`, report: uris.json, frames: report.report.summary.frames, wallMs: report.report.run.wallMs });
    return { status: 'classified', reused, reports: uris };
  } catch (error) {
    const cause = error instanceof EpisodeFailure ? error.reason : causeOf(error);
    const detail = failedDetail(ref, cause, attempt, identity);
    deps.log({ outcome: 'failed', input: detail.input, cause, willRetry: detail.willRetry, deadLettered: detail.deadLettered, ...(cause.code === 'INTERNAL' && error instanceof Error ? { stack: error.stack } : {}) });
    // A failed publish throws: the message is retried and the next delivery publishes (nothing is lost, at worst twice).
    await deps.publish(DETAIL_TYPES.failed, detail, detail.input === null ? [] : [detail.input]);
    return { status: 'failed', cause, retry: !isFinal(cause.code) };
  }
}

/** The stack's options under the nearest config object, looked for up to the readable prefix (keys.ts configKeys). */
async function effectiveOptions(ref: ObjectRef, deps: EpisodeDeps): Promise<EpisodeOptions> {
  const { settings } = deps;
  for (const key of configKeys(ref.key, settings.videoPrefix)) {
    const found = await deps.storage.readJson(settings.bucket, key);
    if (found === undefined) continue;
    const source = `config s3://${settings.bucket}/${key}`;
    if (found.value instanceof Error) throw new EpisodeFailure({ code: 'CONFIG_INVALID', message: `${source} is not JSON` });
    try {
      return applyOverride(settings.defaults, found.value, source);
    } catch (error) {
      if (error instanceof EpisodeConfigError) throw new EpisodeFailure({ code: 'CONFIG_INVALID', message: error.message });
      throw error;
    }
  }
  return settings.defaults;
}

async function currentIdentity(ref: ObjectRef, deps: EpisodeDeps): Promise<ObjectIdentity> {
  const current = await deps.storage.current(ref.bucket, ref.key, ref);
  if (current.status !== 'found') throw new EpisodeFailure(objectGone(ref, current.status));
  return current.identity;
}

function objectGone(ref: ObjectRef, status: 'deleted' | 'changed'): Cause {
  const uri = `s3://${ref.bucket}/${ref.key}`;
  const named = ref.versionId !== undefined ? `version ${ref.versionId}` : ref.etag !== undefined ? `ETag ${ref.etag}` : 'the version first seen';
  return status === 'deleted'
    ? { code: 'OBJECT_DELETED', message: `${uri} (${named}) no longer exists` }
    : { code: 'OBJECT_CHANGED', message: `${uri} was replaced: it no longer has ${named}; the new version's own event classifies it` };
}

/** The classify run, stopped before the function's timeout; failed frames fail the episode except on its last delivery. */
async function runEpisode(ref: ObjectRef, options: EpisodeOptions, message: EpisodeMessage, deps: EpisodeDeps, attempt: Attempt): Promise<Awaited<ReturnType<ClassifyEpisode>>> {
  const budgetMs = runBudgetMs(message.remainingMs());
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), budgetMs);
  try {
    const run = await deps.classify(`s3://${ref.bucket}/${ref.key}`, options, controller.signal);
    if (run.report.run.interrupted || controller.signal.aborted) {
      throw new EpisodeFailure({ code: 'DEADLINE', message: `stopped after ${Math.round(budgetMs / 1000)} s with ${run.report.summary.frames.ok} of ${run.report.summary.frames.total} frames scored, before the function's timeout; raise EpisodeTimeout or sample fewer frames` });
    }
    const { failed, total } = run.report.summary.frames;
    const lastDelivery = attempt.receiveCount >= attempt.maxReceiveCount;
    if (failed > 0 && !lastDelivery) {
      const codes = [...new Set(run.report.frames.flatMap((frame) => (frame.status === 'failed' ? [frame.code] : [])))];
      throw new EpisodeFailure({ code: 'FRAMES_FAILED', message: `${failed} of ${total} frames failed (${codes.join(', ')}); retried, and on the last delivery the report is written with them marked` });
    }
    return run;
  } catch (error) {
    if (controller.signal.aborted && !(error instanceof EpisodeFailure)) {
      throw new EpisodeFailure({ code: 'DEADLINE', message: `stopped after ${Math.round(budgetMs / 1000)} s, before the function's timeout: ${errorMessage(error)}` }, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function causeOf(error: unknown): Cause {
  if (error instanceof InputError) return { code: 'INPUT_UNREADABLE', message: error.message };
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'FunctionUnavailableError' || name === 'LambdaConfigError') return { code: 'CLASSIFIER_UNAVAILABLE', message: errorMessage(error) };
  if (typeof (error as { $metadata?: unknown } | undefined)?.$metadata === 'object') return { code: 'STORAGE', message: `AWS: ${errorMessage(error)}` };
  return { code: 'INTERNAL', message: errorMessage(error) };
}

function mapValues<K extends string, V, W>(record: Record<K, V>, map: (value: V) => W): Record<K, W> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value as V)])) as Record<K, W>;
}

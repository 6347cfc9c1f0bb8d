/**
 * One SQS message → one episode: parse, check the object, find or make its
 * report, publish the outcome. Returns whether SQS should deliver it again.
 */
import { errorMessage, InputError } from '../../core/errors.js';
import { toCsv, toJson } from '../../core/report-formats.js';
import type { Report } from '../../core/report.js';
import { renderHtmlReport } from '../../report/html-report.js';
import { runBudgetMs } from './deadline.js';
import { configKeys, outsideInput, reportKeys, type FlowPrefixes, type ObjectIdentity, type ReportExtension } from '../../core/episode/keys.js';
import { objectArn, parseMessageBody, type ObjectRef } from '../../core/episode/object-ref.js';
import { reportShapeProblem } from '../../core/episode/stored-report.js';
import { applyOverride, EpisodeConfigError, optionsHash, type EpisodeOptions } from './options.js';
import { classifiedDetail, DETAIL_TYPES, failedDetail, isFinal, type Attempt, type Cause, type ClassifiedDetail } from './outcome.js';
import type { ModelIdentityLookup } from './model-identity.js';
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
  /** The sha256 of the model the classifier serves now (model-identity.ts). */
  readonly modelIdentity: ModelIdentityLookup;
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
  const seen: { identity?: ObjectIdentity } = {};
  let done: Classified;
  try {
    if (!parsed.ok) throw new EpisodeFailure({ code: 'INVALID_MESSAGE', message: parsed.problem });
    done = await classifyOrReuse(parsed.ref, message, deps, attempt, seen);
  } catch (error) {
    const cause = error instanceof EpisodeFailure ? error.reason : causeOf(error);
    const detail = failedDetail(ref, cause, attempt, seen.identity);
    deps.log({ outcome: 'failed', input: detail.input, cause, willRetry: detail.willRetry, deadLettered: detail.deadLettered, ...(cause.code === 'INTERNAL' && error instanceof Error ? { stack: error.stack } : {}) });
    // A failed publish throws: the message is retried and the next delivery publishes (nothing is lost, at worst twice).
    await deps.publish(DETAIL_TYPES.failed, detail, ref === undefined ? [] : [objectArn(ref)]);
    return { status: 'failed', cause, retry: !isFinal(cause.code) };
  }
  // Outside the try: the report is written, so a refused publish is not a failed episode. It throws,
  // the message is retried, and the retry finds the report and publishes then.
  await deps.publish(DETAIL_TYPES.classified, done.detail, [objectArn({ bucket: done.detail.bucket, key: done.keys.json })]);
  deps.log({ outcome: 'classified', reused: done.detail.reused, input: done.detail.input, report: done.detail.reports.json, frames: done.detail.frames, wallMs: done.detail.wallMs });
  return { status: 'classified', reused: done.detail.reused, reports: done.detail.reports };
}

interface Classified {
  readonly detail: ClassifiedDetail;
  readonly keys: Record<ReportExtension, string>;
}

/** Finds the episode's report or makes it; throws EpisodeFailure (or an AWS error) when it cannot. */
async function classifyOrReuse(ref: ObjectRef, message: EpisodeMessage, deps: EpisodeDeps, attempt: Attempt, seen: { identity?: ObjectIdentity }): Promise<Classified> {
  const { settings } = deps;
  const outside = outsideInput(ref, settings);
  if (outside !== undefined) throw new EpisodeFailure({ code: 'NOT_AN_INPUT', message: outside });
  const options = await effectiveOptions(ref, deps);
  const identity = await currentIdentity(ref, deps);
  seen.identity = identity;
  const model = await deps.modelIdentity();
  const hash = optionsHash(options, settings.classifier, model);
  const located = (partial: boolean): { keys: Record<ReportExtension, string>; uris: Record<ReportExtension, string> } => {
    const keys = checkedKeys(reportKeys(settings.reportPrefix, ref.key, identity, hash, { partial }));
    return { keys, uris: mapValues(keys, (key) => `s3://${settings.bucket}/${key}`) };
  };
  const extra = { optionsHash: hash, options, attempt: attempt.receiveCount };

  // Only a complete report is reused; a partial one (frames failed on a last delivery) is classified again.
  const complete = located(false);
  const existing = await readStoredReport(settings.bucket, complete.keys.json, deps);
  if (existing !== undefined) {
    // A crash between the JSON (the commit point) and the CSV/HTML left them missing: write them from the JSON.
    await deps.storage.writeMissing(settings.bucket, complete.keys, existing);
    return { keys: complete.keys, detail: classifiedDetail(ref, identity, existing, complete.uris, { ...extra, reused: true }) };
  }

  const run = await runEpisode(ref, options, message, deps, attempt);
  // The object may have been replaced while it was sampled: its report would describe bytes that are gone.
  const after = await deps.storage.current(ref.bucket, ref.key, { etag: identity.etag, versionId: identity.versionId });
  if (after.status !== 'found') throw new EpisodeFailure(objectGone(ref, after.status));
  const target = run.report.summary.frames.failed > 0 ? located(true) : complete;
  const committed = await deps.storage.commitJson(settings.bucket, target.keys.json, toJson(run.report));
  if (committed === 'written') {
    await deps.storage.writeRendered(settings.bucket, target.keys, { csv: toCsv(run.report), html: await renderHtmlReport(run.report, run.images) });
    return { keys: target.keys, detail: classifiedDetail(ref, identity, run.report, target.uris, { ...extra, reused: false }) };
  }
  // Another delivery committed first: its report is the one; ours is dropped, and its CSV/HTML are its writer's.
  const stored = await readStoredReport(settings.bucket, target.keys.json, deps);
  if (stored === undefined) throw new EpisodeFailure({ code: 'STORAGE', message: `s3://${settings.bucket}/${target.keys.json} is being written by another delivery; retried` });
  return { keys: target.keys, detail: classifiedDetail(ref, identity, stored, target.uris, { ...extra, reused: true }) };
}

/** A stored report checked for what the event and the CSV/HTML read; a foreign or old one is a final failure, never a TypeError. */
async function readStoredReport(bucket: string, key: string, deps: EpisodeDeps): Promise<Report | undefined> {
  const found = await deps.storage.readJson(bucket, key);
  if (found === undefined) return undefined;
  const problem = found.value instanceof Error ? 'is not JSON' : reportShapeProblem(found.value);
  if (problem === undefined) return found.value as Report;
  throw new EpisodeFailure({ code: 'REPORT_CORRUPT', message: `s3://${bucket}/${key} ${problem}: not a framescore report this version reads; delete it to classify the episode again` });
}

/** S3 keys are at most 1,024 bytes (UTF-8): a longer report key could never be written. */
function checkedKeys(keys: Record<ReportExtension, string>): Record<ReportExtension, string> {
  const longest = Math.max(...Object.values(keys).map((key) => Buffer.byteLength(key)));
  if (longest > MAX_KEY_BYTES) throw new EpisodeFailure({ code: 'KEY_TOO_LONG', message: `the report key ${keys.json} would be ${longest} bytes, over S3's ${MAX_KEY_BYTES}: shorten the video's key or ReportPrefix` });
  return keys;
}

const MAX_KEY_BYTES = 1024;

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
  if (error instanceof EpisodeConfigError) return { code: 'CONFIG_INVALID', message: error.message };
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'FunctionUnavailableError' || name === 'LambdaConfigError') return { code: 'CLASSIFIER_UNAVAILABLE', message: errorMessage(error) };
  if (typeof (error as { $metadata?: unknown } | undefined)?.$metadata === 'object') return { code: 'STORAGE', message: `AWS: ${errorMessage(error)}` };
  return { code: 'INTERNAL', message: errorMessage(error) };
}

function mapValues<K extends string, V, W>(record: Record<K, V>, map: (value: V) => W): Record<K, W> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value as V)])) as Record<K, W>;
}

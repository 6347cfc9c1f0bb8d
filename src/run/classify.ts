/**
 * The CLI's classify run: plans every input, samples and scores them
 * (score-video.ts), and writes each report, the journal and the run index. Longer than
 * ~250 lines: the order of a run (outputs checked first, inputs prepared a few at a time,
 * reports written in input order, the journal kept for --resume) reads best in one place.
 */
import type { Writable } from 'node:stream';
import { mapBounded } from '../core/bounded-map.js';
import { errorMessage, InputError } from '../core/errors.js';
import type { FrameImage } from '../core/image-decode.js';
import type { ReportFormat } from '../core/report-formats.js';
import type { FrameResult } from '../core/results.js';
import type { PlannedFrame } from '../core/sampling-plan.js';
import { resolveBinaries, type Binaries } from '../media/binaries.js';
import { checkOutputDirectory, checkOutputFile } from '../report/output-files.js';
import { uniqueReportBases, writeKept, writeReport } from '../report/write-report.js';
import type { Messages, Progress } from './events.js';
import type { OpenedInput } from './input.js';
import { journalFile, journalKey, JournalWriter, readJournal, type JournalIdentity } from './journal.js';
import { prepareInput, type InputSampling, type PreparedInput } from './prepare-input.js';
import { INDEX_BASE, writeRunIndex } from './run-index.js';
import { checkSampleOn } from './executor.js';
import { LazyLocalScorer } from './local/lazy-scorer.js';
import { describeRun } from './fleet/describe-run.js';
import type { FleetVideoFacts } from './fleet/session.js';
import { buildReport, describeStages, runExtra, scoreVideo, type ScoreVideoDeps } from './score-video.js';

/** The sampling settings (see prepare-input.ts) and what to do with the scores. */
export interface ClassifyOptions extends InputSampling {
  readonly inputs: readonly string[];
  readonly threshold: number;
  readonly formats: readonly ReportFormat[];
  /** --out BASE (one video), -o FILE|- , or --out-dir DIR. */
  readonly out?: string | undefined;
  readonly output?: string | undefined;
  readonly outDir?: string | undefined;
  readonly saveFrames?: string | undefined;
  /** Also write a self-contained HTML report here (keeps each frame's image for thumbnails). */
  readonly html?: string | undefined;
  readonly ffmpeg?: string | undefined;
  /** Append each result to BASE.journal.jsonl as it arrives. */
  readonly journal?: boolean | undefined;
  /** Skip frames the journal already holds for the same video, sampling and model. */
  readonly resume?: boolean | undefined;
  /** Videos sampled and scored at once (they share the scorer); default 1. */
  readonly videoConcurrency?: number | undefined;
}

export interface ClassifyDeps extends ScoreVideoDeps {
  readonly stdout: Writable;
  readonly messages: Messages;
  readonly progress: Progress;
}

/** A scorer that keeps per-video statistics (the Lambda fan-out); they go into report.run. */
export interface VideoOutcome {
  readonly source: string;
  readonly status: 'complete' | 'failures' | 'interrupted' | 'unreadable';
  readonly files: readonly string[];
  readonly frames: { readonly total: number; readonly ok: number; readonly failed: number };
  readonly error?: string;
  readonly wallMs?: number;
  /** A report could not be written where asked; it went to the temporary directory (see writeKept). */
  readonly lost?: boolean;
}

export interface ClassifyOutcome {
  readonly videos: readonly VideoOutcome[];
  readonly interrupted: boolean;
  /** The index of all runs, when there were several inputs. */
  readonly indexFiles?: readonly string[];
  /** The run index could not be written where asked. */
  readonly indexLost?: boolean;
}

/**
 * Inputs opened and probed at once: each probe is an ffprobe process that mostly
 * waits on its own start-up.
 */
const PREPARE_CONCURRENCY = 4;

/** Still images scored at once (each is one frame; they share the scorer's workers). */
const STILL_CONCURRENCY = 8;

interface Prepared extends PreparedInput {
  readonly position: number;
  /** Where its report goes in --out-dir, unique among the inputs. */
  readonly base: string;
  /** Opening, probing and planning it took (for --verbose's stage timings). */
  readonly prepareMs: number;
}

/**
 * Plans every input first (so one progress display can cover them all), then
 * samples and scores them, several at once when the scorer is shared, writing
 * one report per input and, for several inputs, an index of all runs.
 */
export async function classify(options: ClassifyOptions, deps: ClassifyDeps): Promise<ClassifyOutcome> {
  const outcome = await classifyAll(options, deps);
  // The fleet's whole run in one line (each report has its video's share).
  if (deps.scorer.kind === 'fleet') deps.messages.info(describeRun(deps.scorer.facts()));
  return outcome;
}

async function classifyAll(options: ClassifyOptions, deps: ClassifyDeps): Promise<ClassifyOutcome> {
  const binaries = resolveBinaries({ ffmpeg: options.ffmpeg });
  checkSampleOn(deps.scorer, deps.sampleOn ?? 'auto');
  const outcomes: Array<VideoOutcome | undefined> = [];
  const prepared: Prepared[] = [];
  const bases = uniqueReportBases(options.inputs, options.outDir ?? '.', options.inputs.length > 1 ? [INDEX_BASE] : []);
  await checkOutputs(bases, options);
  const preparing = mapBounded(options.inputs.entries(), PREPARE_CONCURRENCY, async ([position, spec]) => {
    try {
      return await prepare(spec, position, bases[position]!, options, deps, binaries);
    } catch (error) {
      // One unreadable input must not cost the others their reports.
      if (!(error instanceof InputError) || options.inputs.length === 1) throw error;
      deps.messages.error(errorMessage(error));
      outcomes[position] = { source: spec, status: 'unreadable', files: [], frames: { total: 0, ok: 0, failed: 0 }, error: errorMessage(error) };
      return undefined;
    }
  }, deps.signal);
  for await (const video of preparing) if (video !== undefined) prepared.push(video);
  prepared.sort((a, b) => a.position - b.position);
  if (deps.scorer instanceof LazyLocalScorer) deps.scorer.expectFrames(prepared.reduce((sum, video) => sum + video.plan.length, 0));
  const shared = options.inputs.length > 1;
  if (shared) deps.progress.begin(`${prepared.length} videos`, prepared.reduce((sum, video) => sum + video.plan.length, 0));
  const progress: Progress = shared ? { begin() {}, end() {}, sampled: () => deps.progress.sampled(), classified: (failed) => deps.progress.classified(failed) } : deps.progress;
  const videoConcurrency = options.videoConcurrency ?? 1;
  const anyStill = prepared.some((video) => video.media.stillImage);
  const videoSlots = new Slots(videoConcurrency);
  // Reports on stdout keep the inputs' order although stills finish out of order.
  const turns = inputOrder(prepared, options.output === '-');
  const run = async (video: Prepared): Promise<void> => {
    const turn = turns.get(video.position)!;
    const release = video.media.stillImage ? undefined : await videoSlots.acquire();
    try {
      outcomes[video.position] = await classifyOne(video, options, { ...deps, progress }, binaries, turn.previous);
    } finally {
      release?.();
      turn.done();
    }
  };
  try {
    // A still is one frame: one at a time, the scorer's workers would wait on each report and
    // open. Videos keep their own bound (they share the decoder lanes and the scorer).
    for await (const _ of mapBounded(prepared, anyStill ? Math.max(STILL_CONCURRENCY, videoConcurrency) : videoConcurrency, run)) { /* recorded by run */ }
  } finally {
    if (shared) deps.progress.end();
  }
  const videos = outcomes.filter((outcome): outcome is VideoOutcome => outcome !== undefined);
  const interrupted = deps.signal.aborted;
  if (!shared || options.output === '-') return { videos, interrupted };
  const index = await writeRunIndex(videos, options.outDir ?? '.', { interrupted }, deps.messages);
  deps.messages.info(`${videos.length} inputs: wrote ${index.files.join(', ')}`);
  return { videos, interrupted, indexFiles: index.files, indexLost: index.lost };
}

/**
 * Before any decoding: every output must be writable (directories are created
 * now), so a run never ends with its results refused. Throws an OutputError
 * naming the output (exit 2).
 */
async function checkOutputs(bases: readonly string[], options: ClassifyOptions): Promise<void> {
  if (options.output !== undefined) {
    if (options.output !== '-') await checkOutputFile(options.output);
  } else if (options.out !== undefined) {
    for (const format of options.formats) await checkOutputFile(`${options.out}.${format}`);
  } else {
    await checkOutputDirectory(options.outDir ?? '.');
    for (const base of bases) for (const format of options.formats) await checkOutputFile(`${base}.${format}`);
  }
  if (options.html !== undefined) await checkOutputFile(options.html);
  if (options.saveFrames !== undefined) await checkOutputDirectory(options.saveFrames);
}

async function prepare(spec: string, position: number, base: string, options: ClassifyOptions, deps: ClassifyDeps, binaries: Binaries): Promise<Prepared> {
  const started = performance.now();
  const input = await prepareInput(spec, options, deps, binaries);
  return { position, base, prepareMs: performance.now() - started, ...input };
}

async function classifyOne(video: Prepared, options: ClassifyOptions, deps: ClassifyDeps, binaries: Binaries, previousWritten: Promise<void>): Promise<VideoOutcome> {
  const startedAt = new Date();
  const started = performance.now();
  const { opened, media, plan } = video;
  const target = reportTarget(video.base, options);
  const identity: JournalIdentity = { video: opened.source, sampling: options.sampling, fit: options.fit, modelSha256: deps.scorer.model.sha256 };
  const journalPath = journalFile(target.kind === 'base' ? target.base : target.kind === 'file' ? target.file : video.base);
  const carried = options.resume ? matchPlan(await readJournal(journalPath, journalKey(identity)), plan) : new Map<number, FrameResult>();
  if (carried.size > 0) deps.messages.info(`${opened.source}: resuming: ${carried.size} of ${plan.length} frames already scored in ${journalPath}`);
  const remaining = plan.filter((planned) => !carried.has(planned.index));
  // With -o - the user asked for stdout only: no journal file appears unless --resume asks for one.
  const wantJournal = options.resume || (options.journal && target.kind !== 'stdout');
  const journal = wantJournal ? await JournalWriter.open(journalPath, identity, carried.values()) : undefined;

  // One video's own display counts only the frames left to do; the shared display of several counted every planned frame.
  deps.progress.begin(opened.source, remaining.length);
  if (options.inputs.length > 1) {
    for (let i = 0; i < carried.size; i += 1) {
      deps.progress.sampled();
      deps.progress.classified(false);
    }
  }
  const thumbnails = new Map<number, FrameImage>();
  const scoredVideo = scoreVideo(video, remaining, options, deps, binaries, {
    saveFrames: options.saveFrames, thumbnails: options.html !== undefined ? thumbnails : undefined,
  });
  const results: FrameResult[] = [...carried.values()];
  try {
    for await (const result of scoredVideo.results) {
      results.push(result);
      journal?.append(result);
    }
  } finally {
    await journal?.close();
    deps.progress.end();
  }

  const scoredAt = performance.now();
  results.sort((a, b) => a.index - b.index);
  const interrupted = deps.signal.aborted;
  const wallMs = performance.now() - started;
  const extra = { ...runExtra(scoredVideo, wallMs), ...(carried.size > 0 ? { resumedFrames: carried.size } : {}) };
  const report = buildReport(opened, media, options, deps.scorer, modeOf(deps), results, { startedAt, wallMs, interrupted, extra });
  await previousWritten;
  const written = await writeReport(report, options.formats, target, deps.stdout, deps.messages);
  const { files } = written;
  if (options.html !== undefined) {
    const { renderHtmlReport } = await import('../report/html-report.js');
    await writeKept(options.html, await renderHtmlReport(report, thumbnails, { ffmpeg: binaries.ffmpeg }), { messages: deps.messages }, written);
  }
  deps.messages.debug(`${opened.source}: ${describeStages({ prepareMs: video.prepareMs, clock: scoredVideo.clock, scoredAt, reportMs: performance.now() - scoredAt })}`);
  const { total, ok, failed } = report.summary.frames;
  if (modeOf(deps) === 'lambda') for (const line of describeFailures(results)) deps.messages.warn(`${opened.source}: ${line}`);
  const where = modeOf(deps) === 'lambda' ? `; ${describeSampledWhere(scoredVideo.sampledOn === 'lambda', extra.lambda, opened)}` : '';
  if (files.length > 0) deps.messages.info(`${opened.source}: ${ok}/${plan.length} frames scored${failed ? `, ${failed} failed` : ''}${interrupted ? ' (interrupted)' : ''}${where}; wrote ${files.join(', ')}`);
  return { source: opened.source, status: interrupted ? 'interrupted' : failed > 0 ? 'failures' : 'complete', files, frames: { total, ok, failed }, wallMs: Math.round(wallMs), ...(written.lost ? { lost: true } : {}) };
}

/** At most `limit` holders at once; acquire() resolves with the release. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(limit: number) { this.free = limit; }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    return () => {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.free += 1;
    };
  }
}

/**
 * Per input: a promise that the input before it has written its report (when order
 * matters), and the call that says this one has. Inputs start in order, so each
 * waits only on inputs already running.
 */
function inputOrder(prepared: readonly Prepared[], ordered: boolean): Map<number, { previous: Promise<void>; done: () => void }> {
  const turns = new Map<number, { previous: Promise<void>; done: () => void }>();
  let previous: Promise<void> = Promise.resolve();
  for (const video of prepared) {
    let done: () => void = () => {};
    const written = new Promise<void>((resolve) => { done = resolve; });
    turns.set(video.position, { previous: ordered ? previous : Promise.resolve(), done });
    previous = written;
  }
  return turns;
}

/** report.run.mode: which scorer ran. */
function modeOf(deps: Pick<ClassifyDeps, 'scorer'>): 'local' | 'lambda' {
  return deps.scorer.kind === 'fleet' ? 'lambda' : 'local';
}

/** Where a Lambda run's frames were sampled, and what this machine downloaded of a remote input. */
function describeSampledWhere(inFunction: boolean, facts: FleetVideoFacts | undefined, opened: OpenedInput): string {
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;
  const client = opened.fetchedBytes?.();
  const downloaded = client === undefined ? '' : `, this machine downloaded ${mb(client)}${opened.sizeBytes === undefined ? '' : ` of ${mb(opened.sizeBytes)}`}`;
  if (!inFunction) return `sampled here${downloaded}`;
  const sampling = facts?.sampling;
  return `sampled in the function (${sampling === undefined ? '' : `${mb(sampling.functionBytesRead)} read from S3, ${sampling.framesDecoded} frames decoded`}${downloaded})`;
}

/** One line per failure cause, naming the frames: "2 frames (1, 3) failed: INVALID_IMAGE: image is not a JPEG". */
function describeFailures(results: readonly FrameResult[]): string[] {
  const byCause = new Map<string, number[]>();
  for (const result of results) {
    if (result.status !== 'failed') continue;
    const cause = `${result.code}: ${result.message}`;
    byCause.set(cause, [...(byCause.get(cause) ?? []), result.index]);
  }
  return [...byCause].map(([cause, frames]) => {
    const shown = frames.slice(0, 8).join(', ') + (frames.length > 8 ? ', …' : '');
    return `${frames.length} frame${frames.length === 1 ? '' : 's'} (${shown}) failed: ${cause}`;
  });
}


/** Journal results that belong to this plan: same index at the same requested time. */
function matchPlan(scored: Map<number, FrameResult>, plan: readonly PlannedFrame[]): Map<number, FrameResult> {
  const kept = new Map<number, FrameResult>();
  for (const planned of plan) {
    const result = scored.get(planned.index);
    if (result !== undefined && Math.abs(result.requestedTime - (planned.askedTime ?? planned.requestedTime)) < 1e-6) kept.set(planned.index, result);
  }
  return kept;
}


/** `base`: the input's own report base in --out-dir (see uniqueReportBases). */
function reportTarget(base: string, options: ClassifyOptions): Parameters<typeof writeReport>[2] {
  if (options.output === '-') return { kind: 'stdout' };
  if (options.output !== undefined) return { kind: 'file', file: options.output };
  if (options.out !== undefined) return { kind: 'base', base: options.out };
  return { kind: 'base', base };
}


/**
 * `framescore sample`: classify's sampling on its own. Each input's frames go to a
 * directory as images named as --save-frames names them, with frames.csv listing
 * every frame, failed ones included. No model is loaded.
 */
import path from 'node:path';
import { errorMessage, InputError } from '../core/errors.js';
import { toFramesCsv, type SampledFrameRow } from '../core/frames-csv.js';
import { sampleFrames } from '../media/sampling/sampler.js';
import { saveFrame } from '../media/sampling/saved-frames.js';
import { resolveBinaries, type Binaries } from '../media/binaries.js';
import type { Messages, Progress } from './events.js';
import { checkOutputDirectory } from '../report/output-files.js';
import { uniqueReportBases, writeKept, type WrittenFiles } from '../report/write-report.js';
import { prepareInput, samplerOptions, type InputSampling, type PreparedInput } from './prepare-input.js';

export const FRAMES_CSV = 'frames.csv';

export interface SampleOptions extends InputSampling {
  readonly inputs: readonly string[];
  /** One input's frames go here; several inputs get a subdirectory each, named as classify names their reports. */
  readonly outDir: string;
  /** What video frames are scaled and cropped (or stretched) to. */
  readonly size: { readonly width: number; readonly height: number };
  readonly ffmpeg?: string | undefined;
}

export interface SampleDeps {
  readonly messages: Messages;
  readonly progress: Progress;
  readonly signal: AbortSignal;
}

export interface SampledInput {
  readonly source: string;
  readonly status: 'complete' | 'failures' | 'interrupted' | 'unreadable';
  readonly dir?: string;
  readonly frames: { readonly total: number; readonly written: number; readonly failed: number };
  readonly error?: string;
  /** frames.csv could not be written in `dir`; it went to the temporary directory. */
  readonly lost?: boolean;
}

export interface SampleOutcome {
  readonly inputs: readonly SampledInput[];
  readonly interrupted: boolean;
}

export async function sample(options: SampleOptions, deps: SampleDeps): Promise<SampleOutcome> {
  const binaries = resolveBinaries({ ffmpeg: options.ffmpeg });
  const several = options.inputs.length > 1;
  const dirs = several ? uniqueReportBases(options.inputs, options.outDir) : [options.outDir];
  // Before any decoding: the directories must take files (created now; exit 2 naming the one that does not).
  for (const dir of dirs) await checkOutputDirectory(dir);
  const outcomes: Array<SampledInput | undefined> = [];
  const prepared: Array<{ position: number; input: PreparedInput }> = [];
  // Every input is planned first, so an unreadable one is reported before any decoding.
  for (const [position, spec] of options.inputs.entries()) {
    if (deps.signal.aborted) break;
    try {
      prepared.push({ position, input: await prepareInput(spec, options, deps, binaries) });
    } catch (error) {
      // One unreadable input must not cost the others their frames.
      if (!(error instanceof InputError) || !several) throw error;
      deps.messages.error(errorMessage(error));
      outcomes[position] = { source: spec, status: 'unreadable', frames: { total: 0, written: 0, failed: 0 }, error: errorMessage(error) };
    }
  }
  for (const { position, input } of prepared) {
    if (deps.signal.aborted) break;
    outcomes[position] = await sampleOne(input, dirs[position]!, options, deps, binaries);
  }
  return { inputs: outcomes.filter((outcome): outcome is SampledInput => outcome !== undefined), interrupted: deps.signal.aborted };
}

async function sampleOne(input: PreparedInput, dir: string, options: SampleOptions, deps: SampleDeps, binaries: Binaries): Promise<SampledInput> {
  const { opened, plan } = input;
  await checkOutputDirectory(dir);
  const rows: SampledFrameRow[] = [];
  deps.progress.begin(opened.source, plan.length);
  try {
    for await (const frame of sampleFrames(plan, samplerOptions(input, options, options.size, deps, binaries))) {
      // Frames cancelled by Ctrl-C were never attempted in full: they are left out, not listed as failed.
      if (frame.status === 'failed' && deps.signal.aborted) continue;
      deps.progress.sampled();
      const position = { index: frame.index, requestedTime: frame.requestedTime, actualTime: frame.actualTime };
      if (frame.status === 'sampled') {
        const file = await saveFrame(dir, frame.index, frame.actualTime ?? frame.requestedTime, frame.image);
        rows.push({ ...position, status: 'ok', file });
      } else {
        rows.push({ ...position, status: 'failed', code: frame.code, message: frame.message });
      }
      deps.progress.classified(frame.status === 'failed');
    }
  } finally {
    deps.progress.end();
  }
  const csvWritten: WrittenFiles = { files: [], lost: false };
  await writeKept(path.join(dir, FRAMES_CSV), toFramesCsv(rows), { messages: deps.messages }, csvWritten);
  const csv = csvWritten.files[0] ?? path.join(dir, FRAMES_CSV);
  const interrupted = deps.signal.aborted;
  const failed = rows.filter((row) => row.status === 'failed').length;
  const written = rows.length - failed;
  deps.messages.info(`${opened.source}: ${written}/${plan.length} frames written${failed ? `, ${failed} failed (causes in ${FRAMES_CSV})` : ''}${interrupted ? ' (interrupted)' : ''}; wrote ${dir}${path.sep} and ${csv}`);
  return { source: opened.source, status: interrupted ? 'interrupted' : failed > 0 ? 'failures' : 'complete', dir, frames: { total: plan.length, written, failed }, ...(csvWritten.lost ? { lost: true } : {}) };
}

import { readFile } from 'node:fs/promises';
import { errorMessage, InputError } from '../../core/errors.js';
import { isRecord } from '../../core/model-manifest.js';
import { REPORT_SCHEMA, type Report } from '../../core/report.js';

/**
 * Reads a JSON report written by `classify --format json`, checking the parts
 * the HTML page relies on so a wrong file is one clear line, not a broken page.
 */
export async function readJsonReport(file: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : errorMessage(error);
    throw new InputError(`cannot read report "${file}": ${why}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`report "${file}" is not JSON (${errorMessage(error)}); give a report written by classify --format json`, { cause: error });
  }
  const problem = reportProblem(json);
  if (problem !== undefined) throw new InputError(`report "${file}" is not a framescore JSON report: ${problem}`);
  return json as Report;
}

function reportProblem(json: unknown): string | undefined {
  if (!isRecord(json)) return 'not a JSON object';
  if (json.schema !== REPORT_SCHEMA) return `schema is ${JSON.stringify(json.schema)}, expected "${REPORT_SCHEMA}"`;
  const { video, model, sampling, frames, summary, run } = json;
  if (!isRecord(video) || typeof video.source !== 'string' || typeof video.duration !== 'number') return 'video lacks source or duration';
  if (!isRecord(model) || !Array.isArray(model.labels) || !model.labels.every((label) => typeof label === 'string')) return 'model lacks its labels';
  if (!isRecord(sampling) || typeof sampling.description !== 'string') return 'sampling lacks its description';
  if (!Array.isArray(frames)) return 'frames is not a list';
  for (const [i, frame] of frames.entries()) {
    if (!isRecord(frame) || typeof frame.index !== 'number' || typeof frame.requestedTime !== 'number') return `frames[${i}] lacks index or requestedTime`;
    if (frame.status === 'ok' && !isRecord(frame.scores)) return `frames[${i}] has no scores`;
    if (frame.status !== 'ok' && frame.status !== 'failed') return `frames[${i}].status is ${JSON.stringify(frame.status)}`;
  }
  if (!isRecord(summary) || typeof summary.threshold !== 'number' || !Array.isArray(summary.segments) || !isRecord(summary.labels)) return 'summary lacks threshold, labels or segments';
  if (!isRecord(run) || typeof run.mode !== 'string' || typeof run.wallMs !== 'number') return 'run lacks mode or wallMs';
  return undefined;
}

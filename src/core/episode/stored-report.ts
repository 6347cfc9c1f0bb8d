/**
 * Whether a JSON value read from a report key has the fields the episode
 * function reads from it (the event's summary, the CSV and HTML): a foreign
 * file or a report of an older schema is refused by name, not met with a
 * TypeError halfway through.
 */

/** Why value is not a report this version reads, or undefined when it is. */
export function reportShapeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'is not a JSON object';
  const { summary, model, video, run, frames } = value;
  if (!isRecord(summary)) return 'has no summary';
  const counts = summary.frames;
  if (!isRecord(counts) || !['total', 'ok', 'failed'].every((name) => typeof counts[name] === 'number')) return 'has no summary.frames {total, ok, failed}';
  if (!isRecord(summary.labels) || !Object.values(summary.labels).every((facts) => isRecord(facts) && typeof facts.max === 'number')) return 'has no summary.labels';
  if (!Array.isArray(summary.segments)) return 'has no summary.segments';
  if (typeof summary.threshold !== 'number') return 'has no summary.threshold';
  if (!isRecord(model) || !['name', 'version', 'sha256'].every((name) => typeof model[name] === 'string')) return 'has no model {name, version, sha256}';
  if (!isRecord(video) || typeof video.duration !== 'number') return 'has no video.duration';
  if (!isRecord(run) || typeof run.wallMs !== 'number') return 'has no run.wallMs';
  if (!Array.isArray(frames) || !frames.every(isRecord)) return 'has no frames list';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

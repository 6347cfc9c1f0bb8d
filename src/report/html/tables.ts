import type { Report } from '../../core/report.js';
import { labelColour } from './chart-geometry.js';
import { escapeHtml } from './escape.js';
import { flattenFacts, formatBytes, formatFact, formatMs, formatScore, formatTime, keyToWords } from './format.js';

/** Per label: mean, max, time of max, frames over threshold, segments. */
export function renderSummaryTable(report: Report): string {
  const { summary } = report;
  const rows = report.model.labels.map((label, i) => {
    const stats = summary.labels[label];
    const segments = summary.segments.filter((segment) => segment.label === label).length;
    const cells = stats === undefined
      ? '<td colspan="5">–</td>'
      : `<td>${formatScore(stats.mean)}</td><td>${formatScore(stats.max)}</td><td>${formatTime(stats.maxTime)}</td><td>${stats.framesOverThreshold}</td><td>${segments}</td>`;
    return `<tr data-label="${escapeHtml(label)}"><th scope="row"><span class="swatch" style="background:${labelColour(i)}"></span>${escapeHtml(label)}</th>${cells}</tr>`;
  });
  return table(
    `Scores per label (${summary.frames.ok} of ${summary.frames.total} frames scored; threshold ${summary.threshold})`,
    ['Label', 'Mean', 'Max', 'Time of max', `Frames ≥ ${summary.threshold}`, 'Segments'],
    rows,
    'summary',
  );
}

export function renderSegmentsTable(report: Report): string {
  const { segments, threshold } = report.summary;
  if (segments.length === 0) return `<p class="note">No label reaches the threshold (${threshold}) on any frame.</p>`;
  const rows = segments.map((segment) =>
    `<tr data-label="${escapeHtml(segment.label)}" data-start="${segment.start}" data-end="${segment.end}"><th scope="row">${escapeHtml(segment.label)}</th>` +
    `<td>${formatTime(segment.start)}</td><td>${formatTime(segment.end)}</td><td>${formatScore(segment.peak)}</td><td>${formatTime(segment.peakTime)}</td><td>${segment.frames}</td></tr>`);
  return table(`Segments at or above ${threshold}`, ['Label', 'Start', 'End', 'Peak', 'Peak at', 'Frames'], rows, 'segments');
}

/** Video, model, sampling and run facts; run facts a scorer adds (cold starts, retries, cost) are listed generically. */
export function renderFacts(report: Report): string {
  const { video, model, sampling, run } = report;
  const videoFacts: Array<[string, string]> = [
    ['source', video.source],
    ['duration', formatTime(video.duration)],
    ['picture', `${video.width}×${video.height}${video.rotation ? `, rotated ${video.rotation}°` : ''}, ${Number(video.frameRate.toFixed(3))} fps`],
    ['codec', `${video.codec} in ${video.container}`],
  ];
  if (video.sizeBytes !== undefined) videoFacts.push(['size', formatBytes(video.sizeBytes)]);
  const modelFacts: Array<[string, string]> = [
    ['model', `${model.name} ${model.version}`],
    ['sha256', model.sha256],
    ['labels', model.labels.join(', ')],
    ['input', `${model.input.width}×${model.input.height}`],
    ['sampling', sampling.description],
    ['fit', sampling.fit],
  ];
  const { mode, scorer, startedAt, finishedAt, wallMs, framesPerSecond, interrupted, ...extra } = run;
  const runFacts: Array<[string, string]> = [
    ['scorer', scorer.startsWith(mode) ? scorer : `${mode}: ${scorer}`],
    ['started', startedAt],
    ['finished', finishedAt],
    ['wall time', formatMs(wallMs)],
    ['frames/s', formatFact('frames per second', framesPerSecond)],
    ['frames', `${report.summary.frames.ok} scored, ${report.summary.frames.failed} failed`],
  ];
  if (interrupted) runFacts.push(['interrupted', 'yes: the report is partial']);
  // Facts a scorer adds: plain values join the run list, each group (e.g. "lambda") gets its own box.
  const groups: string[] = [];
  for (const [key, value] of Object.entries(extra)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) groups.push(factList(capitalise(keyToWords(key)), flattenFacts('', value), `facts-${key}`, 'group'));
    else runFacts.push(...flattenFacts(keyToWords(key), value));
  }
  runFacts.push(['generator', `${report.generator.name} ${report.generator.version}`]);
  return [factList('Video', videoFacts), factList('Model and sampling', modelFacts), factList('Run', runFacts, 'run-facts'), ...groups].join('\n');
}

/** A box of facts; a "group" box (a scorer's facts, often long) spans the row and flows into columns. */
function factList(title: string, facts: ReadonlyArray<[string, string]>, id?: string, kind?: 'group'): string {
  const items = facts.map(([key, value]) => `<div><dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd></div>`).join('');
  return `<section class="facts${kind ? ` ${kind}` : ''}"${id ? ` id="${escapeHtml(id)}"` : ''}><h3>${escapeHtml(title)}</h3><dl>${items}</dl></section>`;
}

function table(caption: string, headers: readonly string[], rows: readonly string[], id: string): string {
  const head = headers.map((header) => `<th scope="col">${escapeHtml(header)}</th>`).join('');
  return `<div class="scroll"><table id="${id}"><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

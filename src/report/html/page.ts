import type { Report } from '../../core/report.js';
import { frameTime, type FrameTelemetry } from '../../core/results.js';
import { formatTimecode } from '../../core/timestamps.js';
import { renderChart } from './chart.js';
import { labelColour, timeScale } from './chart-geometry.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { renderFacts, renderSegmentsTable, renderSummaryTable } from './tables.js';
import { DETAILS_SCRIPT } from './script.js';
import { STYLES } from './styles.js';

/** What the details panel needs per frame, in time order; scores follow the label order. */
interface FrameData {
  readonly i: number;
  readonly x: number;
  readonly tc: string;
  readonly req?: string;
  readonly s?: number[];
  readonly top?: string;
  readonly err?: string;
  readonly th?: string;
  /** Remote scoring telemetry: attempts, latency, cold start. */
  readonly n?: string;
}

/** The whole report as one HTML document: no external scripts, styles, fonts or images. */
export function renderHtmlPage(report: Report, thumbnails: ReadonlyMap<number, string>): string {
  const labels = report.model.labels;
  const name = report.video.source.replace(/[?#].*$/, '').split('/').filter(Boolean).pop() ?? report.video.source;
  // Buttons: a reader can hide a label's line and segments to see the others.
  const legend = labels.map((label, i) =>
    `<li><button type="button" class="toggle" data-label="${escapeHtml(label)}" aria-pressed="true"><span class="swatch" style="background:${labelColour(i)}"></span>${escapeHtml(label)}</button></li>`).join('');
  const frames = frameData(report, thumbnails);
  const data = { labels, colours: labels.map((_, i) => labelColour(i)), threshold: report.summary.threshold, thumbnails: thumbnails.size > 0, frames };
  const thumbNote = thumbnails.size > 0 ? '' : '<p class="note">No thumbnails: this page was rendered from a JSON report, which does not keep the frames.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>framescore: ${escapeHtml(name)}</title>
<style>${STYLES}</style>
</head>
<body>
<main>
<h1>${escapeHtml(name)}</h1>
<p class="sub">${escapeHtml(report.video.source)} · ${formatTimecode(report.video.duration)} · ${report.summary.frames.total} frames · ${escapeHtml(report.model.name)} ${escapeHtml(report.model.version)}${report.run.interrupted ? ' · <strong>interrupted: partial report</strong>' : ''}</p>
<h2>Timeline</h2>
<ul class="legend">${legend}</ul>
<figure>
<div class="chart-wrap">
${renderChart(report, thumbnails)}
</div>
<label class="scrub">Frame <input id="scrub" type="range" min="0" max="${Math.max(frames.length - 1, 0)}" value="0" step="1" aria-label="Step through frames"></label>
</figure>
${thumbNote}
<section id="details" class="details" aria-live="polite">
<img id="detail-thumb" alt="the selected frame" width="144" height="144" hidden>
<div>
<p><strong id="detail-frame">Hover or tap the chart to see a frame</strong> <span id="detail-time"></span></p>
<p id="detail-status"></p>
<table id="detail-scores"><tbody></tbody></table>
</div>
</section>
<h2>Summary</h2>
${renderSummaryTable(report)}
${renderSegmentsTable(report)}
<h2>Run</h2>
<div class="facts-grid">
${renderFacts(report)}
</div>
<footer>Written by ${escapeHtml(report.generator.name)} ${escapeHtml(report.generator.version)}. Self-contained: works offline, from disk.</footer>
</main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${DETAILS_SCRIPT}</script>
</body>
</html>
`;
}

function frameData(report: Report, thumbnails: ReadonlyMap<number, string>): FrameData[] {
  const scale = timeScale(report);
  return [...report.frames].sort((a, b) => frameTime(a) - frameTime(b)).map((frame) => {
    const time = frameTime(frame);
    const entry: { -readonly [K in keyof FrameData]: FrameData[K] } = { i: frame.index, x: scale.x(time), tc: formatTimecode(time) };
    if (frame.actualTime !== null && Math.abs(frame.actualTime - frame.requestedTime) >= 0.0005) entry.req = formatTimecode(frame.requestedTime);
    if (frame.status === 'ok') {
      entry.s = report.model.labels.map((label) => frame.scores[label] ?? 0);
      entry.top = `${frame.top.label} ${frame.top.score.toFixed(3)}`;
    } else {
      entry.err = `${frame.code}: ${frame.message}`;
    }
    const telemetry = describeTelemetry(frame);
    if (telemetry !== '') entry.n = telemetry;
    const thumbnail = thumbnails.get(frame.index);
    if (thumbnail !== undefined) entry.th = thumbnail;
    return entry;
  });
}

function describeTelemetry(frame: FrameTelemetry): string {
  const parts: string[] = [];
  if (frame.attempts !== undefined) parts.push(`${frame.attempts} attempt${frame.attempts === 1 ? '' : 's'}`);
  if (frame.latencyMs !== undefined) parts.push(`${Math.round(frame.latencyMs)} ms`);
  if (frame.coldStart === true) parts.push('cold start');
  return parts.join(', ');
}

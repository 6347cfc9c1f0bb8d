import type { Report } from '../../core/report.js';
import { frameTime, type FrameResult } from '../../core/results.js';
import { CHART, labelColour, laneFrames, round, scoreY, tickStep, timeScale, type TimeScale } from './chart-geometry.js';
import { escapeHtml } from './escape.js';
import { formatClock } from './format.js';

/**
 * The timeline as inline SVG, drawn here rather than in the browser so it shows
 * even with scripts off. Every element a reader (or a test) may ask about
 * carries data-* attributes: data-frame, data-label, data-start, data-end.
 */
export function renderChart(report: Report, thumbnails: ReadonlyMap<number, string>): string {
  const scale = timeScale(report);
  const labels = report.model.labels;
  const frames = [...report.frames].sort((a, b) => frameTime(a) - frameTime(b));
  const ok = frames.filter((frame): frame is Extract<FrameResult, { status: 'ok' }> => frame.status === 'ok');
  const height = thumbnails.size > 0 ? CHART.laneTop + CHART.laneHeight + 4 : CHART.axisLabels + 8;
  const parts = [
    `<svg id="chart" viewBox="0 0 ${CHART.width} ${height}" role="img" aria-label="Scores per label over the video's time" tabindex="0">`,
    grid(scale),
    segments(report, scale),
    threshold(report.summary.threshold),
    hitColumns(frames, scale),
    ...labels.map((label, i) => lines(label, i, ok, scale)),
    failures(frames, scale),
    `<line id="cursor" class="cursor" x1="0" x2="0" y1="${CHART.top}" y2="${CHART.bottom}" visibility="hidden"/>`,
    lane(frames, scale, thumbnails),
    '</svg>',
  ];
  return parts.join('\n');
}

function grid(scale: TimeScale): string {
  const out: string[] = [];
  for (const score of [0, 0.25, 0.5, 0.75, 1]) {
    const y = scoreY(score);
    out.push(`<line class="grid" x1="${CHART.left}" x2="${CHART.right}" y1="${y}" y2="${y}"/>`);
    out.push(`<text class="tick" x="${CHART.left - 6}" y="${y + 4}" text-anchor="end">${score}</text>`);
  }
  const step = tickStep(scale.end);
  for (let t = 0; t <= scale.end + 1e-9; t += step) {
    const x = scale.x(t);
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${CHART.top}" y2="${CHART.bottom}"/>`);
    out.push(`<text class="tick" x="${x}" y="${CHART.axisLabels}" text-anchor="middle">${formatClock(t)}</text>`);
  }
  return `<g class="axes">${out.join('')}</g>`;
}

/** Segments above the threshold, shaded in their label's colour; a one-frame segment still gets a visible band. */
function segments(report: Report, scale: TimeScale): string {
  const position = new Map(report.model.labels.map((label, i) => [label, i]));
  const rects = report.summary.segments.map((segment) => {
    const x1 = scale.x(segment.start);
    const x2 = scale.x(segment.end);
    const width = Math.max(x2 - x1, 4);
    const x = x2 - x1 >= 4 ? x1 : round((x1 + x2) / 2 - 2);
    return `<rect class="seg" x="${x}" y="${CHART.top}" width="${round(width)}" height="${CHART.bottom - CHART.top}" fill="${labelColour(position.get(segment.label) ?? 0)}" ` +
      `data-label="${escapeHtml(segment.label)}" data-start="${segment.start}" data-end="${segment.end}" data-frames="${segment.frames}"><title>${escapeHtml(segment.label)} ≥ ${report.summary.threshold}</title></rect>`;
  });
  return `<g class="segments">${rects.join('')}</g>`;
}

function threshold(value: number): string {
  const y = scoreY(value);
  return `<g class="threshold"><line id="threshold" x1="${CHART.left}" x2="${CHART.right}" y1="${y}" y2="${y}" data-threshold="${value}"/>` +
    `<text x="${CHART.right}" y="${y - 5}" text-anchor="end">threshold ${value}</text></g>`;
}

/** Invisible columns, one per frame, so hovering anywhere above a frame's time picks it (points alone are too small on a phone). */
function hitColumns(frames: readonly FrameResult[], scale: TimeScale): string {
  const xs = frames.map((frame) => scale.x(frameTime(frame)));
  const cols = frames.map((frame, i) => {
    const left = i === 0 ? CHART.left : (xs[i - 1]! + xs[i]!) / 2;
    const right = i === frames.length - 1 ? CHART.right : (xs[i]! + xs[i + 1]!) / 2;
    return `<rect class="hit" x="${round(left)}" y="${CHART.top}" width="${round(Math.max(right - left, 0.5))}" height="${CHART.bottom - CHART.top}" data-frame="${frame.index}"/>`;
  });
  return `<g class="hits">${cols.join('')}</g>`;
}

function lines(label: string, position: number, ok: ReadonlyArray<Extract<FrameResult, { status: 'ok' }>>, scale: TimeScale): string {
  const colour = labelColour(position);
  const escaped = escapeHtml(label);
  const coords = ok.map((frame) => [scale.x(frameTime(frame)), scoreY(frame.scores[label] ?? 0), frame.index] as const);
  const polyline = `<polyline class="line" points="${coords.map(([x, y]) => `${x},${y}`).join(' ')}" stroke="${colour}"/>`;
  const points = coords.map(([x, y, index]) => `<circle class="pt" cx="${x}" cy="${y}" r="3.5" fill="${colour}" data-frame="${index}" data-label="${escaped}"/>`);
  return `<g class="series" data-label="${escaped}">${polyline}${points.join('')}</g>`;
}

/** Frames that could not be scored: a mark on the time axis, so gaps are explained. */
function failures(frames: readonly FrameResult[], scale: TimeScale): string {
  const marks = frames
    .filter((frame) => frame.status === 'failed')
    .map((frame) => {
      const x = scale.x(frameTime(frame));
      return `<path class="fail" d="M${x - 4},${CHART.bottom - 4}l8,8m0,-8l-8,8" data-frame="${frame.index}"/>`;
    });
  return `<g class="failures">${marks.join('')}</g>`;
}

/** Thumbnails at their timestamps; where they would overlap, some are left out (all are in the details panel). */
function lane(frames: readonly FrameResult[], scale: TimeScale, thumbnails: ReadonlyMap<number, string>): string {
  if (thumbnails.size === 0) return '';
  const size = CHART.laneHeight;
  const positions = frames.filter((frame) => thumbnails.has(frame.index)).map((frame) => ({ index: frame.index, x: scale.x(frameTime(frame)) }));
  const byIndex = new Map(positions.map((position) => [position.index, position.x]));
  const images = laneFrames(positions, size).map((index) => {
    const x = round(Math.min(Math.max(byIndex.get(index)! - size / 2, CHART.left - size / 2), CHART.right - size / 2));
    return `<image class="thumb" href="${thumbnails.get(index)!}" x="${x}" y="${CHART.laneTop}" width="${size}" height="${size}" data-frame="${index}"/>`;
  });
  return `<g class="lane">${images.join('')}</g>`;
}

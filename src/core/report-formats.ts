import type { Report } from './report.js';
import type { FrameResult } from './results.js';
import { formatTimecode } from './timestamps.js';

export type ReportFormat = 'csv' | 'json' | 'jsonl';
export const REPORT_FORMATS: readonly ReportFormat[] = ['csv', 'json', 'jsonl'];

/** One row per frame: position, one column per label, the top label, status and error. */
export function toCsv(report: Report): string {
  const labels = report.model.labels;
  const header = ['video', 'index', 'requested_s', 'actual_s', 'timecode', ...labels, 'top_label', 'top_score', 'status', 'error'];
  const rows = report.frames.map((frame) => {
    const time = frame.actualTime ?? frame.requestedTime;
    const scores = labels.map((label) => (frame.status === 'ok' ? formatScore(frame.scores[label]) : ''));
    return [
      report.video.source,
      String(frame.index),
      frame.requestedTime.toFixed(3),
      frame.actualTime === null ? '' : frame.actualTime.toFixed(3),
      formatTimecode(time),
      ...scores,
      frame.status === 'ok' ? frame.top.label : '',
      frame.status === 'ok' ? formatScore(frame.top.score) : '',
      frame.status,
      frame.status === 'failed' ? `${frame.code}: ${frame.message}` : '',
    ];
  });
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

export function toJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** One JSON object per frame, each naming its video and model, for appending and streaming. */
export function toJsonl(report: Report): string {
  return report.frames.map((frame) => jsonlLine(report.video.source, report.model.sha256, frame)).join('');
}

export function jsonlLine(video: string, modelSha256: string, frame: FrameResult): string {
  return `${JSON.stringify({ video, model: modelSha256, ...frame })}\n`;
}

export function renderReport(report: Report, format: ReportFormat): string {
  return format === 'csv' ? toCsv(report) : format === 'json' ? toJson(report) : toJsonl(report);
}

function formatScore(score: number | undefined): string {
  return score === undefined ? '' : score.toPrecision(6);
}

/** A CSV field, quoted when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** frames.csv, the list `framescore sample` writes beside the frames it saved. */
import { csvField } from './report-formats.js';
import type { FramePosition } from './results.js';
import { formatTimecode, roundSeconds } from './timestamps.js';

/** A frame written to `file`, or one that failed and has no file. */
export type SampledFrameRow =
  | (FramePosition & { readonly status: 'ok'; readonly file: string })
  | (FramePosition & { readonly status: 'failed'; readonly code: string; readonly message: string });

export const FRAMES_CSV_HEADER = ['index', 'requested_s', 'actual_s', 'timecode', 'file', 'status', 'error'] as const;

/** One row per frame in index order; times in seconds to the microsecond (the JSON report's precision, not the CSV's ms). */
export function toFramesCsv(rows: readonly SampledFrameRow[]): string {
  const lines = [...rows].sort((a, b) => a.index - b.index).map((row) => [
    String(row.index),
    String(roundSeconds(row.requestedTime)),
    row.actualTime === null ? '' : String(roundSeconds(row.actualTime)),
    formatTimecode(row.actualTime ?? row.requestedTime),
    row.status === 'ok' ? row.file : '',
    row.status,
    row.status === 'failed' ? `${row.code}: ${row.message}` : '',
  ]);
  return [[...FRAMES_CSV_HEADER], ...lines].map((line) => line.map(csvField).join(',')).join('\n') + '\n';
}

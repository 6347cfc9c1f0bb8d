import { frameTime, type FrameResult } from './results.js';
import { roundSeconds } from './timestamps.js';

export interface LabelSummary {
  readonly mean: number;
  readonly max: number;
  /** Seconds: where the maximum was found. */
  readonly maxTime: number | null;
  readonly framesOverThreshold: number;
}

/** A run of consecutive scored frames (in time order) at or above the threshold for one label. */
export interface Segment {
  readonly label: string;
  readonly start: number;
  readonly end: number;
  readonly peak: number;
  readonly peakTime: number;
  readonly frames: number;
}

export interface ScoreSummary {
  readonly frames: { readonly total: number; readonly ok: number; readonly failed: number };
  readonly threshold: number;
  readonly labels: Readonly<Record<string, LabelSummary>>;
  readonly segments: readonly Segment[];
}

/**
 * Per-label statistics and segments over the threshold. Failed frames are left
 * out: they neither extend nor break a segment, since nothing is known of them.
 */
export function summarise(frames: readonly FrameResult[], labels: readonly string[], threshold: number): ScoreSummary {
  const scored = frames.filter((frame): frame is Extract<FrameResult, { status: 'ok' }> => frame.status === 'ok').sort((a, b) => frameTime(a) - frameTime(b));
  const perLabel: Record<string, LabelSummary> = {};
  const segments: Segment[] = [];
  for (const label of labels) {
    let sum = 0;
    let max = -Infinity;
    let maxTime: number | null = null;
    let over = 0;
    let open: { start: number; end: number; peak: number; peakTime: number; frames: number } | undefined;
    for (const frame of scored) {
      const score = frame.scores[label] ?? 0;
      const time = frameTime(frame);
      sum += score;
      if (score > max) {
        max = score;
        maxTime = time;
      }
      if (score >= threshold) {
        over += 1;
        if (open === undefined) open = { start: time, end: time, peak: score, peakTime: time, frames: 0 };
        open.end = time;
        open.frames += 1;
        if (score > open.peak) {
          open.peak = score;
          open.peakTime = time;
        }
      } else if (open !== undefined) {
        segments.push(roundSegment(label, open));
        open = undefined;
      }
    }
    if (open !== undefined) segments.push(roundSegment(label, open));
    perLabel[label] = {
      mean: scored.length > 0 ? sum / scored.length : 0,
      max: scored.length > 0 ? max : 0,
      maxTime: maxTime === null ? null : roundSeconds(maxTime),
      framesOverThreshold: over,
    };
  }
  segments.sort((a, b) => a.start - b.start || a.label.localeCompare(b.label));
  const ok = scored.length;
  return { frames: { total: frames.length, ok, failed: frames.length - ok }, threshold, labels: perLabel, segments };
}

function roundSegment(label: string, open: { start: number; end: number; peak: number; peakTime: number; frames: number }): Segment {
  return { label, start: roundSeconds(open.start), end: roundSeconds(open.end), peak: open.peak, peakTime: roundSeconds(open.peakTime), frames: open.frames };
}

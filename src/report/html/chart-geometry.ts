import type { Report } from '../../core/report.js';
import { frameTime } from '../../core/results.js';

/** Tableau 10: distinguishable, and still readable for the common colour-vision deficiencies. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

export function labelColour(position: number): string {
  return PALETTE[position % PALETTE.length]!;
}

/** The SVG's coordinate space; the browser scales it to the page width. */
export const CHART = {
  width: 1000,
  left: 46,
  right: 986,
  top: 14,
  bottom: 234,
  axisLabels: 254,
  laneTop: 268,
  laneHeight: 56,
} as const;

export interface TimeScale {
  readonly start: number;
  readonly end: number;
  x(seconds: number): number;
}

/** Time axis over the whole video (so where a frame sits says where it is in the episode). */
export function timeScale(report: Report): TimeScale {
  const times = report.frames.map(frameTime);
  const last = times.length > 0 ? Math.max(...times) : 0;
  const end = Math.max(report.video.duration, last, 0.001);
  const span = CHART.right - CHART.left;
  return { start: 0, end, x: (seconds) => round(CHART.left + (Math.min(Math.max(seconds, 0), end) / end) * span) };
}

export function scoreY(score: number): number {
  return round(CHART.bottom - Math.min(Math.max(score, 0), 1) * (CHART.bottom - CHART.top));
}

/** Tick step giving about six to ten ticks: 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, hours. */
export function tickStep(duration: number): number {
  const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800];
  return steps.find((step) => duration / step <= 10) ?? Math.ceil(duration / 10 / 3600) * 3600;
}

/** Picks frames for the thumbnail lane, left to right, so no two thumbnails overlap. */
export function laneFrames(positions: ReadonlyArray<{ index: number; x: number }>, size: number): number[] {
  const chosen: number[] = [];
  let nextFree = -Infinity;
  for (const { index, x } of [...positions].sort((a, b) => a.x - b.x)) {
    const left = Math.min(Math.max(x - size / 2, CHART.left - size / 2), CHART.right - size / 2);
    if (left < nextFree) continue;
    chosen.push(index);
    nextFree = left + size + 2;
  }
  return chosen;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

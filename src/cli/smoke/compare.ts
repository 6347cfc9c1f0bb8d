import type { Scores } from '../../core/classifier.js';

export interface ScoreComparison {
  /** One readable line per score outside the tolerance (or missing). */
  readonly differences: string[];
  /** Largest absolute difference seen, over all labels compared. */
  readonly largest: number;
}

/** Compares returned scores with the expected ones, label by label. */
export function compareScores(id: string, expected: Scores, actual: Readonly<Record<string, unknown>>, tolerance: number): ScoreComparison {
  const differences: string[] = [];
  let largest = 0;
  for (const [label, want] of Object.entries(expected)) {
    const got = actual[label];
    if (typeof got !== 'number') {
      differences.push(`${id}: no score for ${label} (expected ${want.toFixed(6)})`);
      largest = Infinity;
      continue;
    }
    const off = Math.abs(got - want);
    largest = Math.max(largest, off);
    if (!(off <= tolerance)) differences.push(`${id}: ${label} expected ${want.toFixed(6)}, got ${got.toFixed(6)} (off by ${off.toFixed(6)}, tolerance ${tolerance})`);
  }
  return { differences, largest };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

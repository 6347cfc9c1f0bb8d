/**
 * How the sequential strategy splits its targets: contiguous stretches of the video,
 * of about equal length (so about equal decoding), each carrying at most `maxTargets`.
 * Pure; the planner prices these stretches and the sequential sampler decodes them.
 */
export function planStretches<T>(items: readonly T[], count: number, maxTargets: number, timeOf: (item: T) => number = (item) => item as number): T[][] {
  const sorted = [...items].sort((a, b) => timeOf(a) - timeOf(b));
  if (sorted.length === 0) return [];
  const first = timeOf(sorted[0]!);
  const span = timeOf(sorted[sorted.length - 1]!) - first;
  const parts = Math.max(1, Math.floor(count));
  const stretches: T[][] = [];
  let current: T[] = [];
  let part = 0;
  for (const item of sorted) {
    const slot = span > 0 ? Math.min(parts - 1, Math.floor(((timeOf(item) - first) / span) * parts)) : 0;
    if (current.length > 0 && (slot !== part || current.length >= maxTargets)) {
      stretches.push(current);
      current = [];
    }
    part = slot;
    current.push(item);
  }
  stretches.push(current);
  return stretches;
}

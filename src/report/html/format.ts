import { formatTimecode } from '../../core/timestamps.js';

/** Scores with three decimals: enough to compare frames by eye. */
export function formatScore(score: number): string {
  return score.toFixed(3);
}

/** Short clock for axis ticks: m:ss, or h:mm:ss past an hour. */
export function formatClock(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function formatTime(seconds: number | null): string {
  return seconds === null ? '–' : formatTimecode(seconds);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** "coldStarts" → "cold starts", "estimated_cost_usd" → "estimated cost usd". */
export function keyToWords(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
}

/**
 * One fact value as text, for run facts a scorer adds that this page does not
 * know by name. `path` is the fact's key path in words ("lambda init ms p50"):
 * money where it mentions cost/usd/price, durations where it mentions ms.
 */
export function formatFact(path: string, value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') {
    if (/cost|usd|price/i.test(path)) return formatUsd(value);
    if (/(^| )ms( (p\d+|max|min|mean|avg|median|total))?$/.test(path)) return formatMs(value);
    return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.length === 0 ? '–' : value.map((item) => formatFact(path, item)).join(', ');
  return JSON.stringify(value);
}

/** Three significant digits for the tiny amounts a run costs: $0.000193, $0.000000200. */
export function formatUsd(usd: number): string {
  if (usd <= 0 || usd >= 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(Math.min(12, 2 - Math.floor(Math.log10(usd))))}`;
}

/** Nested objects become "a › b" rows, so any shape a scorer adds is shown without special cases. */
export function flattenFacts(prefix: string, value: unknown, into: Array<[string, string]> = []): Array<[string, string]> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flattenFacts(prefix === '' ? keyToWords(key) : `${prefix} › ${keyToWords(key)}`, inner, into);
    return into;
  }
  into.push([prefix, formatFact(prefix.replace(/ › /g, ' '), value)]);
  return into;
}

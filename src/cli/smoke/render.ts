import type { SmokeResult } from './result.js';

const MARK = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

/** The human report: one line per check, its diff indented below, and a total. */
export function renderText(result: SmokeResult): string {
  const target = `${result.function}${result.qualifier ? `:${result.qualifier}` : ''}`;
  const lines = [`framescore smoke: ${target}${result.endpoint ? ` at ${result.endpoint}` : ''}`];
  const width = Math.max(...result.checks.map((entry) => entry.name.length));
  for (const entry of result.checks) {
    lines.push(`${MARK[entry.status]}  ${entry.name.padEnd(width)}  ${entry.summary}`);
    for (const detail of entry.details) lines.push(`${' '.repeat(width + 8)}${detail}`);
  }
  const count = (status: keyof typeof MARK): number => result.checks.filter((entry) => entry.status === status).length;
  const skipped = count('skip');
  lines.push(`${result.passed ? 'passed' : 'FAILED'}: ${count('pass')} passed, ${count('fail')} failed${skipped ? `, ${skipped} skipped` : ''} in ${(result.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

export function renderJson(result: SmokeResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

import type { SmokeResult } from './result.js';

/**
 * JUnit XML as CI systems (GitHub Actions reporters, GitLab, Jenkins) read it:
 * one testsuite, one testcase per check, <failure> with the diff, <skipped>.
 */
export function renderJunit(result: SmokeResult): string {
  const target = `${result.function}${result.qualifier ? `:${result.qualifier}` : ''}`;
  const failures = result.checks.filter((entry) => entry.status === 'fail').length;
  const skipped = result.checks.filter((entry) => entry.status === 'skip').length;
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const cases = result.checks.map((entry) => {
    const open = `    <testcase classname="framescore.smoke" name="${xml(entry.name)}" time="${seconds(entry.durationMs)}"`;
    if (entry.status === 'pass') return `${open}>\n      <system-out>${xml(entry.summary)}</system-out>\n    </testcase>`;
    if (entry.status === 'skip') return `${open}>\n      <skipped message="${xml(entry.summary)}"/>\n    </testcase>`;
    const body = [entry.summary, ...entry.details].join('\n');
    return `${open}>\n      <failure message="${xml(entry.summary)}" type="SmokeCheckFailed">${xml(body)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="framescore smoke" tests="${result.checks.length}" failures="${failures}" skipped="${skipped}" time="${seconds(result.durationMs)}">`,
    `  <testsuite name="framescore smoke ${xml(target)}" tests="${result.checks.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(result.durationMs)}" timestamp="${xml(result.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** Escapes for XML text and attributes, and drops characters XML 1.0 forbids. */
export function xml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] ?? char);
}

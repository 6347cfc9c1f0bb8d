import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Report } from '../../core/report.js';
import { renderReport, type ReportFormat } from '../../core/report-formats.js';

export type ReportTarget =
  | { readonly kind: 'base'; readonly base: string }
  | { readonly kind: 'stdout' }
  | { readonly kind: 'file'; readonly file: string };

/** Writes the report in each format; returns the files written. Files appear whole or not at all. */
export async function writeReport(report: Report, formats: readonly ReportFormat[], target: ReportTarget, stdout: Writable): Promise<string[]> {
  if (target.kind === 'stdout') {
    for (const format of formats) stdout.write(renderReport(report, format));
    return [];
  }
  const files = target.kind === 'file' ? [target.file] : formats.map((format) => `${target.base}.${format}`);
  for (const [i, file] of files.entries()) {
    await writeFileAtomic(file, renderReport(report, formats[i]!));
  }
  return files;
}

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/** The report base for a video: its file name without extension, in the output directory. */
export function reportBase(source: string, outDir: string): string {
  const name = source.replace(/[?#].*$/, '').split('/').filter(Boolean).pop() ?? 'video';
  return path.join(outDir, name.replace(/\.[^.]+$/, '') || 'video');
}

/**
 * Report bases for several inputs: inputs whose names would collide (a/ep1.mp4 and
 * b/ep1.mp4, or ep1.mp4 and ep1.mov) get -2, -3, … in input order instead of
 * overwriting each other's reports. `reserved` names are never given out (the run
 * index that several inputs write beside their reports).
 */
export function uniqueReportBases(sources: readonly string[], outDir: string, reserved: readonly string[] = []): string[] {
  const taken = new Set<string>(reserved.map((name) => path.join(outDir, name)));
  return sources.map((source) => {
    const base = reportBase(source, outDir);
    let unique = base;
    for (let n = 2; taken.has(unique); n += 1) unique = `${base}-${n}`;
    taken.add(unique);
    return unique;
  });
}

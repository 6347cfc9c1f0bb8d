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

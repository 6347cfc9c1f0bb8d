import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Report } from '../core/report.js';
import { renderReport, type ReportFormat } from '../core/report-formats.js';
import type { Messages } from '../run/events.js';
import { OutputError, writeOutputFile } from './output-files.js';

export type ReportTarget =
  | { readonly kind: 'base'; readonly base: string }
  | { readonly kind: 'stdout' }
  | { readonly kind: 'file'; readonly file: string };

/** Files written; `lost` is true when one went to its fallback in the temporary directory (or nowhere). */
export interface WrittenFiles {
  readonly files: string[];
  lost: boolean;
}

/** Writes the report in each format. Files appear whole or not at all; one that cannot be written goes to the fallback. */
export async function writeReport(report: Report, formats: readonly ReportFormat[], target: ReportTarget, stdout: Writable, messages: Messages): Promise<WrittenFiles> {
  if (target.kind === 'stdout') {
    for (const format of formats) stdout.write(renderReport(report, format));
    return { files: [], lost: false };
  }
  const written: WrittenFiles = { files: [], lost: false };
  const files = target.kind === 'file' ? [target.file] : formats.map((format) => `${target.base}.${format}`);
  for (const [i, file] of files.entries()) await writeKept(file, renderReport(report, formats[i]!), { stdout, messages }, written);
  return written;
}

/**
 * Writes a finished result; when `file` cannot be written (a directory that
 * went away or read-only at the end of a long run), says so in one line and
 * writes it to `<tmpdir>/framescore-<name>-<pid>.<ext>` instead, so no
 * finished result is lost. Adds the file written to `into`.
 */
export async function writeKept(file: string, content: string, io: { stdout?: Writable | undefined; messages: Messages }, into: WrittenFiles): Promise<void> {
  try {
    await writeOutputFile(file, content, io.stdout);
    into.files.push(file);
    return;
  } catch (error) {
    if (!(error instanceof OutputError)) throw error;
    into.lost = true;
    const fallback = fallbackFile(file);
    try {
      await writeOutputFile(fallback, content);
      into.files.push(fallback);
      io.messages.error(`${error.message}; wrote it to ${fallback} instead`);
    } catch (again) {
      io.messages.error(`${error.message}; and not to ${fallback} either (${again instanceof Error ? again.message : String(again)})`);
    }
  }
}

/** `<tmpdir>/framescore-<name>-<pid>.<ext>` for an output that could not be written. */
export function fallbackFile(file: string): string {
  const ext = path.extname(file) || '.out';
  const name = path.basename(file, path.extname(file)).replace(/[^\w.-]+/g, '_') || 'report';
  return path.join(os.tmpdir(), `framescore-${name}-${process.pid}${ext}`);
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

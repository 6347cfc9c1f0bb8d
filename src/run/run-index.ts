/** The index of a multi-video run: one row per input, as CSV and JSON, beside the reports. */
import path from 'node:path';
import type { Messages } from './events.js';
import { writeKept, type WrittenFiles } from '../report/write-report.js';

export interface IndexedRun {
  readonly source: string;
  readonly status: string;
  readonly files: readonly string[];
  readonly frames: { readonly total: number; readonly ok: number; readonly failed: number };
  readonly error?: string | undefined;
  readonly wallMs?: number | undefined;
}

export const INDEX_BASE = 'framescore-index';

export async function writeRunIndex(runs: readonly IndexedRun[], outDir: string, facts: { interrupted: boolean }, messages: Messages): Promise<WrittenFiles> {
  const base = path.join(outDir, INDEX_BASE);
  const json = `${JSON.stringify({ schema: 'framescore-index/1', createdAt: new Date().toISOString(), interrupted: facts.interrupted, runs }, null, 2)}\n`;
  const header = ['source', 'status', 'frames', 'ok', 'failed', 'wall_ms', 'reports', 'error'];
  const rows = runs.map((run) => [run.source, run.status, String(run.frames.total), String(run.frames.ok), String(run.frames.failed), run.wallMs === undefined ? '' : String(run.wallMs), run.files.join(' '), run.error ?? '']);
  const csv = [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
  const written: WrittenFiles = { files: [], lost: false };
  await writeKept(`${base}.csv`, csv, { messages }, written);
  await writeKept(`${base}.json`, json, { messages }, written);
  return written;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The JSONL journal: every frame result appended as it arrives, after a header
 * naming the video, sampling settings and model. `--resume` reads it back and
 * skips frames already scored, only when the header's key matches: another
 * model or other sampling settings must not lend their scores.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isRecord } from '../core/model-manifest.js';
import type { FrameResult } from '../core/results.js';
import { makeDirectory } from '../report/output-files.js';

export const JOURNAL_SCHEMA = 'framescore-journal/1';

export interface JournalIdentity {
  readonly video: string;
  readonly sampling: unknown;
  readonly fit: string;
  readonly modelSha256: string;
}

export function journalKey(identity: JournalIdentity): string {
  return createHash('sha256').update(JSON.stringify([identity.video, identity.sampling, identity.fit, identity.modelSha256])).digest('hex').slice(0, 32);
}

export function journalFile(reportBase: string): string {
  return `${reportBase}.journal.jsonl`;
}

/** Ok results recorded under this key, by frame index; empty when the file is missing or for another key. */
export async function readJournal(file: string, key: string): Promise<Map<number, FrameResult>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const scored = new Map<number, FrameResult>();
  const lines = text.split('\n');
  const header = parseLine(lines[0] ?? '');
  if (!isRecord(header) || header.schema !== JOURNAL_SCHEMA || header.key !== key) return scored;
  for (const line of lines.slice(1)) {
    // A run killed mid-write leaves a torn last line: skip it, that frame is simply redone.
    const entry = parseLine(line);
    if (isRecord(entry) && entry.status === 'ok' && typeof entry.index === 'number' && isRecord(entry.scores)) scored.set(entry.index, entry as unknown as FrameResult);
  }
  return scored;
}

export class JournalWriter {
  private constructor(private readonly stream: WriteStream) {}

  /** Starts the file afresh with the header and the results carried over from a resumed run. */
  static async open(file: string, identity: JournalIdentity, carried: Iterable<FrameResult>): Promise<JournalWriter> {
    await makeDirectory(path.dirname(path.resolve(file)), file);
    const stream = createWriteStream(file, { flags: 'w' });
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    const writer = new JournalWriter(stream);
    stream.write(`${JSON.stringify({ schema: JOURNAL_SCHEMA, key: journalKey(identity), video: identity.video, model: identity.modelSha256, sampling: identity.sampling, fit: identity.fit })}\n`);
    for (const result of carried) writer.append(result);
    return writer;
  }

  append(result: FrameResult): void {
    this.stream.write(`${JSON.stringify(result)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

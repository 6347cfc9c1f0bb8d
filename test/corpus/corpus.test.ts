/**
 * The corpus test (issue 17): `framescore sample` on files with the properties of
 * real media (test/corpus/README.md), with every sampler, exact and --keyframes,
 * each frame checked against one full ffmpeg decode of the file: the same time
 * (within half a frame) and the same picture (mean absolute difference ≤ 2 of 255).
 * A frame may fail only where ffmpeg shows no picture either.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage } from '../../src/core/image-decode.js';
import { uniqueReportBases } from '../../src/report/write-report.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { CORPUS, corpusFiles, type CorpusFile } from '../helpers/corpus-media.js';
import { closestFrame, expectedFrame, frameInterval, fullDecode, pixelDifference, type FullDecode } from '../helpers/full-decode.js';

const WIDTH = 64;
const HEIGHT = 48;
const FRAMES = 8;
/**
 * Same decoder, same scaler, same size: the right frame differs by rounding at most
 * (measured 0). Neighbouring frames of this content differ by far more (the mismatch
 * table names the closest frame and its difference).
 */
const MAX_MEAN_DIFF = 2;
const SAMPLERS = ['auto', 'seek', 'sequential', 'indexed'] as const;
type Sampler = (typeof SAMPLERS)[number];

interface Row {
  readonly file: string;
  readonly combo: string;
  readonly time: string;
  readonly expected: string;
  readonly got: string;
}

let paths: string[] = [];
const decodes = new Map<string, FullDecode>();
/** The CLI runs, started in before(): each test awaits its own. */
const runs = new Map<string, Promise<Run>>();

interface Run {
  readonly files: ReadonlyArray<{ file: CorpusFile; input: string }>;
  readonly outDir: string;
  readonly result: CliResult;
  readonly seconds: number;
}
const summary: Array<{ file: string; combo: string; ok: number; allowed: number; bad: number; typical: string }> = [];
const timings: string[] = [];

const COMBOS = [false, true].flatMap((keyframes) => SAMPLERS.map((sampler) => ({ sampler, keyframes, combo: `--sampler ${sampler}${keyframes ? ' --keyframes' : ''}` })));

before(async () => {
  paths = await corpusFiles();
  // Two runs at a time (each decodes with one ffmpeg per core already): one's start-up and
  // planning overlap the other's decoding. The oracle decodes meanwhile.
  const lanes: Array<Promise<unknown>> = [Promise.resolve(), Promise.resolve()];
  for (const [n, { sampler, keyframes, combo }] of COMBOS.entries()) {
    const run = lanes[n % 2]!.then(() => sampleAll(sampler, keyframes));
    lanes[n % 2] = run.catch(() => {});
    runs.set(combo, run);
  }
  for (const [n, file] of paths.entries()) decodes.set(CORPUS[n]!.name, await fullDecode(file, WIDTH, HEIGHT));
});

async function sampleAll(sampler: Sampler, keyframes: boolean): Promise<Run> {
  const files = CORPUS.map((file, n) => ({ file, input: paths[n]! }));
  const outDir = await tempDir('corpus');
  const started = performance.now();
  const result = await runCli(['sample', ...files.map(({ input }) => input), '--out-dir', outDir, '--size', `${WIDTH}x${HEIGHT}`, '--frames', String(FRAMES), '--sampler', sampler, ...(keyframes ? ['--keyframes'] : [])]);
  return { files, outDir, result, seconds: (performance.now() - started) / 1000 };
}

after(() => {
  // The table of every file × sampler × mode, for the issue's before/after note.
  const lines = summary.map((s) => `${s.file.padEnd(18)} ${s.combo.padEnd(24)} ok ${String(s.ok).padStart(2)}  allowed-fail ${String(s.allowed).padStart(2)}  mismatch ${String(s.bad).padStart(2)}  ${s.typical}`);
  console.log(['corpus summary (file, sampler, ok / failures ffmpeg shares / mismatches, a typical mismatch):', ...lines, `CLI runs (wall, two at a time): ${timings.join('; ')}`].join('\n'));
});

for (const { combo } of COMBOS) {
  test(`framescore sample ${combo} gives every corpus file's frames as a full ffmpeg decode shows them`, async () => {
    const run = runs.get(combo);
    assert.ok(run, 'the corpus was not made');
    const { files, outDir, result, seconds } = await run;
    timings.push(`${combo}: ${seconds.toFixed(1)} s`);
    const mismatches: Row[] = [];
    const dirs = uniqueReportBases(files.map(({ input }) => input), outDir);
    if (result.code !== 0 && result.code !== 2 && result.code !== 3) {
      mismatches.push({ file: '(run)', combo, time: '', expected: 'exit 0, 2 or 3', got: `exit ${result.code}: ${lastLine(result.stderr)}` });
    }
    for (const [n, { file, input }] of files.entries()) {
      const rows = await checkFile(file, input, dirs[n]!, combo.includes('--keyframes'), result.stderr);
      const bad = rows.filter((row) => row.verdict === 'mismatch');
      summary.push({ file: file.name, combo, ok: rows.filter((row) => row.verdict === 'ok').length, allowed: rows.filter((row) => row.verdict === 'allowed').length, bad: bad.length, typical: bad[0] ? `t=${bad[0].time}: want ${bad[0].expected}, got ${bad[0].got}` : '' });
      mismatches.push(...bad.map((row) => ({ file: file.name, combo, time: row.time, expected: row.expected, got: row.got })));
    }
    await rm(outDir, { recursive: true, force: true });
    assert.equal(mismatches.length, 0, `${mismatches.length} frames differ from a full ffmpeg decode:\n${table(mismatches)}`);
  });
}

interface Verdict {
  readonly verdict: 'ok' | 'allowed' | 'mismatch';
  readonly time: string;
  readonly expected: string;
  readonly got: string;
}

async function checkFile(file: CorpusFile, input: string, dir: string, keyframes: boolean, stderr: string): Promise<Verdict[]> {
  const decode = decodes.get(file.name)!;
  let csv: string;
  try {
    csv = await readFile(path.join(dir, 'frames.csv'), 'utf8');
  } catch {
    const said = stderr.split('\n').filter((line) => line.includes(input)).pop() ?? lastLine(stderr);
    return [{ verdict: 'mismatch', time: 'all', expected: `${FRAMES} frames`, got: `no frames.csv: ${said.replace(input, path.basename(input))}` }];
  }
  const verdicts: Verdict[] = [];
  for (const line of csv.trim().split('\n').slice(1)) {
    const [, requested, actual, , image, status, error = ''] = csvFields(line);
    const time = Number(requested);
    const expected = expectedFrame(decode, time, { keyframes, damagedEnd: file.damagedEnd === true });
    const want = expected.frame === undefined ? 'no frame' : `${expected.frame.time.toFixed(3)}${expected.kind === 'none' ? ' or none' : ''}`;
    const verdict = (v: Verdict['verdict'], got: string): Verdict => ({ verdict: v, time: time.toFixed(3), expected: want, got });
    if (status !== 'ok') {
      verdicts.push(verdict(expected.kind === 'none' ? 'allowed' : 'mismatch', `failed ${error.split(':')[0]}`));
      continue;
    }
    const pixels = decodeImage(await readFile(path.join(dir, image!))).data;
    const gotTime = Number(actual);
    const closest = closestFrame(decode, pixels);
    const gotText = `${gotTime.toFixed(3)} (picture of ${closest ? `${closest.frame.time.toFixed(3)}, diff ${closest.mean.toFixed(1)}` : '?'})`;
    if (expected.frame === undefined || expected.index === undefined) {
      // ffmpeg shows nothing here; a frame framescore gives must still be one ffmpeg decodes, at its time.
      const real = closest !== undefined && closest.mean <= MAX_MEAN_DIFF && Math.abs(closest.frame.time - gotTime) <= frameInterval(decode, decode.frames.indexOf(closest.frame)) / 2;
      verdicts.push(verdict(real ? 'ok' : 'mismatch', gotText));
      continue;
    }
    const { mean } = pixelDifference(expected.frame.pixels, pixels);
    const timeRight = Math.abs(gotTime - expected.frame.time) <= frameInterval(decode, expected.index) / 2;
    verdicts.push(verdict(timeRight && mean <= MAX_MEAN_DIFF ? 'ok' : 'mismatch', gotText));
  }
  if (verdicts.length === 0) verdicts.push({ verdict: 'mismatch', time: 'all', expected: `${FRAMES} frames`, got: 'frames.csv lists no frame' });
  // The plan covers the whole timeline ffmpeg shows (a joined file's second part too).
  const last = decode.frames.at(-1)?.time ?? 0;
  const latest = Math.max(...verdicts.map((v) => Number(v.time)).filter(Number.isFinite));
  if (latest < last * (FRAMES - 1.5) / FRAMES) verdicts.push({ verdict: 'mismatch', time: 'plan', expected: `times up to ~${last.toFixed(2)} s`, got: `latest ${latest.toFixed(2)} s` });
  return verdicts;
}

function table(rows: readonly Row[]): string {
  const head = { file: 'file', combo: 'sampler', time: 't', expected: 'expected', got: 'got' };
  const all = [head, ...rows];
  const width = (key: keyof Row): number => Math.max(...all.map((row) => row[key].length));
  const keys: Array<keyof Row> = ['file', 'combo', 'time', 'expected', 'got'];
  return all.map((row) => keys.map((key) => row[key].padEnd(width(key))).join('  ')).join('\n');
}

/** One line of frames.csv: fields with commas or quotes are quoted, quotes doubled. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  const field = /("(?:[^"]|"")*"|[^,]*)(?:,|$)/g;
  for (let match = field.exec(line); match !== null && match.index < line.length; match = field.exec(line)) {
    const text = match[1]!;
    fields.push(text.startsWith('"') ? text.slice(1, -1).replace(/""/g, '"') : text);
    if (match[0] === '') break;
  }
  return fields;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

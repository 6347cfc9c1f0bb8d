/**
 * 240 still images end to end: `framescore classify <240 files> --local` as a user
 * runs it (a child process: start-up, worker and model load, PNG decode, reports
 * included), `--backend onnx` against `--backend wasm` (the baseline), interleaved
 * over rounds, medians. Issue 18's goal: onnx / wasm ≤ 0.35. The stills are copies
 * of test/fixtures/photos (224², 300×200, 640×360 PNGs and JPEG encodes of them).
 *   node dist/bench/stills.bench.js   (FRAMESCORE_BENCH_ROUNDS, default 3; FRAMESCORE_BENCH_STILLS, default 240)
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinaries } from '../src/media/binaries.js';
import { runProcess } from '../src/media/process.js';

const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 3);
const COUNT = Number(process.env.FRAMESCORE_BENCH_STILLS ?? 240);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const photos = path.join(root, 'test', 'fixtures', 'photos');
const cli = path.join(root, 'bin', 'framescore.js');

/** COUNT stills in a fresh directory: the fixture PNGs and a JPEG of each, in turn. */
async function makeStills(dir: string): Promise<string[]> {
  const { ffmpeg } = resolveBinaries();
  const sources: string[] = [];
  for (const name of (await readdir(photos)).filter((file) => file.endsWith('.png')).sort()) {
    const png = path.join(photos, name);
    const jpeg = path.join(dir, `source-${name.replace(/\.png$/, '.jpg')}`);
    await runProcess(ffmpeg, ['-v', 'error', '-y', '-i', png, '-q:v', '3', jpeg], { timeoutMs: 60_000 });
    sources.push(png, jpeg);
  }
  const stills: string[] = [];
  for (let i = 0; i < COUNT; i += 1) {
    const source = sources[i % sources.length]!;
    const still = path.join(dir, `still-${String(i).padStart(3, '0')}${path.extname(source)}`);
    await copyFile(source, still);
    stills.push(still);
  }
  return stills;
}

/** Wall seconds of one CLI run and its exit code. */
function classify(stills: readonly string[], backend: string, outDir: string): Promise<{ wall: number; code: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'classify', ...stills, '--local', '--backend', backend, '--out-dir', outDir, '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve({ wall: (performance.now() - started) / 1000, code: code ?? -1 }));
  });
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-bench-stills-'));
try {
  const stills = await makeStills(dir);
  const engines = ['onnx', 'wasm'] as const;
  const runs: Record<(typeof engines)[number], Array<{ wall: number; code: number }>> = { onnx: [], wasm: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const backend of round % 2 === 0 ? engines : [...engines].reverse()) {
      const outDir = path.join(dir, `out-${backend}-${round}`);
      runs[backend].push(await classify(stills, backend, outDir));
      await rm(outDir, { recursive: true, force: true });
    }
  }
  console.log(`classify --local of ${COUNT} stills (PNG and JPEG, 200–640 px), a child process per run, ${ROUNDS} interleaved rounds, medians, ${os.availableParallelism()} cores (shared: trust the ratio):`);
  for (const backend of engines) {
    const wall = median(runs[backend].map((run) => run.wall));
    console.log(`  --backend ${backend}: exit ${runs[backend].map((run) => run.code).join(',')}, wall ${wall.toFixed(2)} s (${runs[backend].map((run) => run.wall.toFixed(2)).join(', ')}), ${(COUNT / wall).toFixed(1)} stills/s`);
  }
  const ratio = median(runs.onnx.map((run) => run.wall)) / median(runs.wasm.map((run) => run.wall));
  console.log(`onnx / wasm end to end: ${ratio.toFixed(2)} (goal ≤ 0.35)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

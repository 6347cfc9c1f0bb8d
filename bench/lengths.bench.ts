/**
 * Issue 20's table at the lengths users have: `framescore sample` run as a user runs it
 * (the CLI as a subprocess, PNGs written to a temp dir), against a baseline measured in
 * the same run, rounds interleaved, medians. Each figure is printed with its file's length.
 *   containers  --frames 150 from the MP4 and its stream copies: three Matroska layouts (ffmpeg's
 *               5 s clusters with Cues; 1 s clusters; piped, with no Cues and no Duration)
 *               and MPEG-TS, each / MP4 (goal ≤ 1.3×)
 *   dense       --every 1 from the MP4 / one ffmpeg decoding the whole file with a select filter
 *               passing the same frames, written as PNGs too (goal ≤ 0.4×)
 *   low-res     --frames 150 of the 400 s 768×576 MPEG-4 AVI / one such sequential ffmpeg pass
 *               (goal ≤ 1.0×, start-up included)
 * The broadcast files are 1080p25 H.264 High, 6 Mbit/s, GOP 2 s (bench/media.ts makes and caches them).
 *   node dist/bench/lengths.bench.js [--quick] [--only containers,dense,lowres]
 *   FRAMESCORE_BENCH_LENGTHS=10,30 (minutes; --quick: the 2-minute copies)
 *   FRAMESCORE_BENCH_ROUNDS (default 2)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinaries } from '../src/media/binaries.js';
import { scaleFilter } from '../src/media/decode/extract.js';
import { probeMedia, type MediaInfo } from '../src/media/probe.js';
import { runProcess } from '../src/media/process.js';
import { balancedSum } from '../src/media/sampling/sequential-sampler.js';
import { planFrames, type PlannedFrame } from '../src/core/sampling-plan.js';
import { benchLengths, broadcastSet, childCpuSeconds, lengthLabel, lowResVideo } from './media.js';

const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 2);
const onlyFlag = process.argv.indexOf('--only');
const ONLY = onlyFlag >= 0 ? (process.argv[onlyFlag + 1] ?? '').split(',') : ['containers', 'dense', 'lowres'];
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'framescore.js');
const binaries = resolveBinaries();

interface Run { readonly wall: number; readonly cpu: number; readonly frames: number }

/** Wall and CPU (the process and everything it waited for) of one job writing into a fresh temp dir. */
async function timed(label: string, job: (outDir: string) => Promise<void>): Promise<Run> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'framescore-bench-lengths-'));
  try {
    const cpuBefore = await childCpuSeconds();
    const started = performance.now();
    await job(outDir);
    const run = { wall: (performance.now() - started) / 1000, cpu: (await childCpuSeconds()) - cpuBefore, frames: (await readdir(outDir)).filter((name) => name.endsWith('.png')).length };
    // Each run as it ends: a long bench shows its progress, and a cut-short one keeps what it measured.
    console.error(`  ${label}: ${run.wall.toFixed(2)} s wall, ${run.cpu.toFixed(1)} CPU-s, ${run.frames} PNGs`);
    return run;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

function framescoreSample(input: string, args: readonly string[]): (outDir: string) => Promise<void> {
  return (outDir) => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'sample', input, '--quiet', '--out-dir', outDir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FFMPEG_PATH: binaries.ffmpeg, FFPROBE_PATH: binaries.ffprobe } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`framescore sample ${input} exited ${code}: ${stderr.slice(-400)}`))));
  });
}

/** One ffmpeg decoding the whole file, a select filter passing the frames framescore plans, PNGs at 224×224 as `sample` writes. */
function selectPass(input: string, media: MediaInfo, plan: readonly PlannedFrame[]): (outDir: string) => Promise<void> {
  const select = balancedSum(plan.map((frame) => `eq(n,${Math.round(frame.requestedTime * media.frameRate)})`));
  return async (outDir) => {
    await runProcess(binaries.ffmpeg, [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', input, '-map', '0:v:0', '-an',
      '-vf', `select='${select}',${scaleFilter(224, 224, 'crop')}`, '-fps_mode', 'passthrough', path.join(outDir, 'frame-%05d.png'),
    ]);
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  // With an even count (2 rounds is the default), the mean of the middle two.
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const wall = (runs: readonly Run[]): number => median(runs.map((run) => run.wall));
const cpu = (runs: readonly Run[]): number => median(runs.map((run) => run.cpu));
const walls = (runs: readonly Run[]): string => runs.map((run) => run.wall.toFixed(1)).join(', ');

/** Runs every job once per round, in turn, so drifting load on the shared machine falls on all of them alike. */
async function interleaved(jobs: Record<string, (outDir: string) => Promise<void>>, prefix: string): Promise<Record<string, Run[]>> {
  const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(jobs).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, job] of Object.entries(jobs)) runs[name]!.push(await timed(`${prefix} round ${round + 1} ${name}`, job));
  }
  return runs;
}

const load = (): string => os.loadavg().map((value) => value.toFixed(1)).join(' ');
console.log(`load average at start: ${load()} (${os.availableParallelism()} cores, shared); ${ROUNDS} interleaved rounds, medians (single runs in brackets); ffmpeg ${binaries.ffmpeg}`);
const table: string[] = [];
const row = (what: string, length: string, ratio: number, goal: number, detail: string): void => {
  table.push(`| ${what} | ${length} | **${ratio.toFixed(2)}×** | ≤ ${goal}× ${ratio <= goal ? 'met' : 'missed'} | ${detail} |`);
};

for (const minutes of benchLengths()) {
  const files = await broadcastSet(minutes);
  const media = await probeMedia(binaries.ffprobe, files.mp4, files.mp4);
  const length = `${lengthLabel(media.duration)} 1080p H.264`;
  if (ONLY.includes('containers')) {
    const copies = { mp4: files.mp4, mkv: files.mkv, 'mkv 1 s clusters': files.mkvShortClusters, 'mkv no Cues': files.mkvNoCues, ts: files.ts };
    const runs = await interleaved(Object.fromEntries(Object.entries(copies).map(([name, file]) => [name, framescoreSample(file, ['--frames', '150'])])), `${length} --frames 150`);
    console.log(`${length}, sample --frames 150: ${Object.keys(copies).map((name) => `${name} ${wall(runs[name]!).toFixed(1)} s (${walls(runs[name]!)}), CPU ${cpu(runs[name]!).toFixed(1)} s`).join('; ')}`);
    const versus = (name: string, what: string): void => row(what, length, wall(runs[name]!) / wall(runs.mp4!), 1.3, `${wall(runs[name]!).toFixed(1)} s vs ${wall(runs.mp4!).toFixed(1)} s; CPU ${cpu(runs[name]!).toFixed(1)} vs ${cpu(runs.mp4!).toFixed(1)} s`);
    versus('mkv', '`sample --frames 150`, MKV (ffmpeg: 5 s clusters, Cues) / MP4');
    versus('mkv 1 s clusters', 'same, MKV with 1 s clusters (mkvmerge/OBS-like) / MP4');
    versus('mkv no Cues', 'same, MKV written to a pipe (no Cues, no Duration: live recorders) / MP4');
    versus('ts', 'same, MPEG-TS / MP4');
  }
  if (ONLY.includes('dense')) {
    const plan = planFrames({ mode: { kind: 'every', seconds: 1 }, keyframes: false }, media);
    const runs = await interleaved({ framescore: framescoreSample(files.mp4, ['--every', '1']), 'ffmpeg select': selectPass(files.mp4, media, plan) }, `${length} --every 1`);
    const [ours, baseline] = [runs.framescore!, runs['ffmpeg select']!];
    console.log(`${length}, --every 1 (${plan.length} frames): framescore ${wall(ours).toFixed(1)} s wall (${walls(ours)}), ${cpu(ours).toFixed(0)} CPU-s; one ffmpeg with select ${wall(baseline).toFixed(1)} s (${walls(baseline)}), ${cpu(baseline).toFixed(0)} CPU-s`);
    row(`\`--every 1\` (${plan.length} frames) from the MP4 / one ffmpeg full decode with select`, length, wall(ours) / wall(baseline), 0.4, `${wall(ours).toFixed(1)} s vs ${wall(baseline).toFixed(1)} s; CPU ${(cpu(ours) / cpu(baseline)).toFixed(2)}×`);
  }
}

if (ONLY.includes('lowres')) {
  const video = await lowResVideo();
  const media = await probeMedia(binaries.ffprobe, video, video);
  const length = `${lengthLabel(media.duration)} 768×576 MPEG-4 AVI`;
  const plan = planFrames({ mode: { kind: 'count', frames: 150 }, keyframes: false }, media);
  const runs = await interleaved({ framescore: framescoreSample(video, ['--frames', '150']), 'ffmpeg select': selectPass(video, media, plan) }, `${length} --frames 150`);
  const [ours, baseline] = [runs.framescore!, runs['ffmpeg select']!];
  console.log(`${length}, --frames 150: framescore ${wall(ours).toFixed(2)} s (${walls(ours)}); one ffmpeg pass ${wall(baseline).toFixed(2)} s (${walls(baseline)})`);
  row('150 frames of the AVI / one sequential ffmpeg pass', length, wall(ours) / wall(baseline), 1.0, `${wall(ours).toFixed(2)} s vs ${wall(baseline).toFixed(2)} s, CLI start-up included`);
}

console.log(`\n| measured (npm run bench -- lengths) | file | result | goal | times (medians) |\n|---|---|---|---|---|\n${table.join('\n')}`);
console.log(`load average at end: ${load()}`);

/**
 * Sampling time per file, interleaved rounds, medians, ratios against the first file: for
 * looking at one change without the whole bench (bench/ holds the figures that count).
 * Each file's line says how long opening and indexing took, what the index read, and
 * where frames went (decoder lanes or the per-frame seek).
 *   node dist/scripts/measure-sampling.js [--frames N | --every S] [--rounds R] [--baseline ffmpeg] FILE...
 * `--baseline ffmpeg` adds one sequential ffmpeg pass with `select` over the same frames of the first file.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { resolveBinaries } from '../src/media/binaries.js';
import { probeMedia } from '../src/media/probe.js';
import { runProcess } from '../src/media/process.js';
import { planFrames, type PlannedFrame } from '../src/core/sampling-plan.js';
import { sampleFrames } from '../src/media/sampling/sampler.js';
import { openByteSource, type ByteSource } from '../src/media/source/byte-source.js';
import { readVideoIndex } from '../src/media/formats.js';

const { values, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { frames: { type: 'string' }, every: { type: 'string' }, rounds: { type: 'string', default: '3' }, baseline: { type: 'string' } },
});
const binaries = resolveBinaries();
const cores = os.availableParallelism();
const rounds = Number(values.rounds);

async function planOf(file: string) {
  const media = await probeMedia(binaries.ffprobe, file, file);
  const mode = values.every !== undefined ? { kind: 'every' as const, seconds: Number(values.every) } : { kind: 'count' as const, frames: Number(values.frames ?? 150) };
  return { media, plan: planFrames({ mode, keyframes: false }, media) };
}

/** Opening and indexing alone, counting the bytes the index reads. */
async function indexFigures(file: string, plan: readonly PlannedFrame[], startTime: number, duration: number | undefined): Promise<string> {
  const source = await openByteSource(file);
  let bytes = 0;
  const counting: ByteSource = { size: source.size, read: async (offset, length) => { const part = await source.read(offset, length); bytes += part.length; return part; }, close: () => source.close() };
  const started = performance.now();
  try {
    const times = plan.map((planned) => startTime + planned.requestedTime);
    const reading = await readVideoIndex(counting, { times, duration });
    const took = performance.now() - started;
    if ('index' in reading) await reading.index.close();
    return `index ${took.toFixed(0)} ms, ${(bytes / 1e6).toFixed(1)} MB read${'unsupported' in reading ? ` (${reading.unsupported})` : ''}`;
  } finally {
    await source.close();
  }
}

async function sampleOnce(file: string): Promise<{ wall: number; detail: string }> {
  const started = performance.now();
  const { media, plan } = await planOf(file);
  const notes: string[] = [];
  let count = 0;
  for await (const frame of sampleFrames(plan, {
    ffmpeg: binaries.ffmpeg, input: file, width: 224, height: 224, fit: 'crop', keyframes: false, media,
    startTime: media.startTime, stillImage: false, timeoutMs: 120_000, concurrency: cores, rotation: media.rotation,
    onNote: (note) => notes.push(note),
  })) if (frame.status === 'sampled') count += 1;
  const wall = (performance.now() - started) / 1000;
  const choice = notes.find((note) => note.startsWith('estimated'));
  const route = notes.find((note) => note.startsWith('indexed') || note.startsWith('one ffmpeg')) ?? '';
  const fell = notes.find((note) => note.includes('per-frame seek')) ?? 'none fell back';
  return { wall, detail: `${count}/${plan.length} frames; ${choice === undefined ? '' : `${choice}; `}${route.replace(/; decoding.*/, '')}; ${fell}` };
}

/** One ffmpeg process decoding the whole file, `select` passing the planned frames (the sequential floor). */
async function sequentialOnce(file: string): Promise<{ wall: number; detail: string }> {
  const started = performance.now();
  const { media, plan } = await planOf(file);
  const times = plan.map((planned) => planned.requestedTime);
  // One frame per requested time: the first at or after it (nested sums: ffmpeg 5.1 refuses a flat one past 100 terms).
  const terms = times.map((time, i) => `between(t,${time},${times[i + 1] ?? 1e9})*lt(prev_selected_t,${time})`);
  const nest = (parts: string[]): string => (parts.length === 1 ? parts[0]! : `(${nest(parts.slice(0, parts.length >> 1))}+${nest(parts.slice(parts.length >> 1))})`);
  const select = `select='isnan(prev_selected_t)*between(t,${times[0]},1e9)+${nest(terms)}'`;
  await runProcess(binaries.ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file, '-vf', `${select},scale=224:224`, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', '/dev/null'], { timeoutMs: 3_600_000 });
  return { wall: (performance.now() - started) / 1000, detail: `${plan.length} frames asked (${media.duration ?? '?'} s)` };
}

/** CPU seconds of this process and of its finished children (ffmpeg), from /proc. */
async function cpuSeconds(): Promise<{ self: number; children: number }> {
  const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ');
  return { self: (Number(fields[11]) + Number(fields[12])) / 100, children: (Number(fields[13]) + Number(fields[14])) / 100 };
}

const median = (list: readonly number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
const runs: Array<{ label: string; once: () => Promise<{ wall: number; detail: string }> }> = files.map((file) => ({ label: file, once: () => sampleOnce(file) }));
if (values.baseline === 'ffmpeg') runs.push({ label: `ffmpeg pass ${files[0]}`, once: () => sequentialOnce(files[0]!) });
console.log(`${values.every !== undefined ? `every ${values.every} s` : `${values.frames ?? 150} frames`}, ${rounds} interleaved rounds, ${cores} cores, ffmpeg ${binaries.ffmpeg}`);
for (const file of files) {
  const { media, plan } = await planOf(file);
  console.log(`${file}: ${await indexFigures(file, plan, media.startTime, media.duration)}`);
}
const walls = new Map<string, number[]>();
for (let round = 0; round < rounds; round += 1) {
  for (const { label, once } of runs) {
    const before = await cpuSeconds();
    const { wall, detail } = await once();
    const after = await cpuSeconds();
    walls.set(label, [...(walls.get(label) ?? []), wall]);
    console.log(`round ${round + 1} ${label}: ${wall.toFixed(2)} s wall, CPU ${(after.self - before.self).toFixed(1)} s node + ${(after.children - before.children).toFixed(1)} s ffmpeg; ${detail}`);
  }
}
const first = median(walls.get(runs[0]!.label)!);
for (const { label } of runs) console.log(`median ${label}: ${median(walls.get(label)!).toFixed(2)} s (${(median(walls.get(label)!) / first).toFixed(2)}× the first)`);

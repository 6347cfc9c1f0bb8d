/**
 * The indexed path across containers and GOP structures, ratios in the same run
 * (interleaved rounds, medians):
 *   - 150 exact frames from a 1080p25 H.264 MP4 (6 Mbit/s, B-frames, 2 s GOPs) against
 *     its stream copies as MKV and MPEG-TS (goal: within 1.5× of the MP4)
 *   - 150 exact frames from a 720p25 HEVC MP4 with x265's open GOPs (CRA) against the
 *     same encode with closed GOPs (goal: within 2×)
 * The 30-minute bench video takes too long to make here: the files are
 * FRAMESCORE_BENCH_CONTAINER_MINUTES long (default 2), cached in bench/.cache;
 * FRAMESCORE_BENCH_HEVC=0 leaves out the HEVC pair (x265 is slow to encode here).
 */
import os from 'node:os';
import path from 'node:path';
import { mkdir, rename, stat } from 'node:fs/promises';
import { resolveBinaries } from '../src/media/binaries.js';
import { probeMedia } from '../src/media/probe.js';
import { runProcess } from '../src/media/process.js';
import { sampleFrames } from '../src/media/sampling/sampler.js';
import { planFrames } from '../src/core/sampling-plan.js';
import { openByteSource } from '../src/media/source/byte-source.js';
import { readDemuxedIndex } from '../src/media/matroska/matroska-index.js';
import { readMpegTsIndex } from '../src/media/mpeg-ts/mpeg-ts-index.js';
import { BENCH_CACHE, childCpuSeconds } from './media.js';

const FRAMES = Number(process.env.FRAMESCORE_BENCH_FRAMES ?? 150);
const MINUTES = Number(process.env.FRAMESCORE_BENCH_CONTAINER_MINUTES ?? 2);
const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 3);
const cores = os.availableParallelism();
const binaries = resolveBinaries();
const seconds = Math.round(MINUTES * 60);

async function made(name: string, args: () => Promise<string[]>): Promise<string> {
  const output = path.join(BENCH_CACHE, name);
  if (await stat(output).then((info) => info.size > 0, () => false)) return output;
  await mkdir(BENCH_CACHE, { recursive: true });
  console.error(`bench: making ${name}…`);
  const temp = `${output}.tmp${path.extname(name)}`;
  await runProcess(binaries.ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...(await args()), temp], { timeoutMs: 3_600_000 });
  await rename(temp, output);
  return output;
}

const mp4 = await made(`containers-1080p-${seconds}s.mp4`, () => Promise.resolve([
  '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=25:duration=${seconds}`, '-vf', 'noise=alls=12:allf=t',
  '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M',
  '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '3', '-pix_fmt', 'yuv420p',
]));
const mkv = await made(`containers-1080p-${seconds}s.mkv`, () => Promise.resolve(['-i', mp4, '-c', 'copy']));
const ts = await made(`containers-1080p-${seconds}s.ts`, () => Promise.resolve(['-i', mp4, '-c', 'copy']));
const hevc = (openGop: boolean): Promise<string> => made(`containers-hevc-720p-${seconds}s-${openGop ? 'open' : 'closed'}.mp4`, () => Promise.resolve([
  '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=25:duration=${seconds}`, '-vf', 'noise=alls=12:allf=t',
  '-c:v', 'libx265', '-preset', 'veryfast', '-b:v', '3M',
  '-x265-params', `keyint=50:min-keyint=50:scenecut=0:bframes=4:open-gop=${openGop ? 1 : 0}:log-level=error`, '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p',
]));
const withHevc = process.env.FRAMESCORE_BENCH_HEVC !== '0';
const hevcClosed = withHevc ? await hevc(false) : '';
const hevcOpen = withHevc ? await hevc(true) : '';

interface Result { readonly wall: number; readonly cpu: number; readonly detail: string }

async function run(file: string): Promise<Result> {
  const media = await probeMedia(binaries.ffprobe, file, file);
  const plan = planFrames({ mode: { kind: 'count', frames: FRAMES }, keyframes: false }, media);
  const notes: string[] = [];
  const cpuBefore = await childCpuSeconds();
  const started = performance.now();
  let count = 0;
  for await (const frame of sampleFrames(plan, {
    ffmpeg: binaries.ffmpeg, input: file, width: 224, height: 224, fit: 'crop', keyframes: false,
    startTime: media.startTime, stillImage: false, timeoutMs: 120_000, concurrency: cores, rotation: media.rotation,
    onNote: (note) => notes.push(note),
  })) if (frame.status === 'sampled') count += 1;
  const wall = (performance.now() - started) / 1000;
  const cpu = (await childCpuSeconds()) - cpuBefore;
  const route = notes.find((note) => note.startsWith('indexed')) ?? notes[0] ?? '';
  const fell = notes.find((note) => note.includes('per-frame seek')) ?? 'none fell back';
  return { wall, cpu, detail: `${count}/${plan.length} frames; ${route.replace(/; decoding.*/, '')}; ${fell}` };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The index build alone, which a TS pays in full since it has no index: framescore's TS scan, and mediabunny's for comparison. */
async function indexSeconds(file: string, reader: 'own' | 'mediabunny'): Promise<string> {
  const source = await openByteSource(file);
  const started = performance.now();
  try {
    const index = reader === 'own' ? await readMpegTsIndex(source) : await readDemuxedIndex(source).then((reading) => ('index' in reading ? reading.index : undefined));
    const took = (performance.now() - started) / 1000;
    if (index === undefined) return 'not indexed';
    await index.close();
    return `${index.sampleCount} frames in ${took.toFixed(2)} s`;
  } finally {
    await source.close();
  }
}

/**
 * What a Matroska or MPEG-TS index reads: a pass over the file, or only around sparse times
 * (one per 12 s, as 150 frames of a 30-minute episode), counted at the byte source.
 */
async function indexReads(file: string, around: readonly number[] | undefined): Promise<{ bytes: number; seconds: number }> {
  const source = await openByteSource(file);
  let bytes = 0;
  const counting = { size: source.size, read: async (offset: number, length: number) => { const part = await source.read(offset, length); bytes += part.length; return part; }, close: () => source.close() };
  const started = performance.now();
  try {
    if (file.endsWith('.ts')) await (await readMpegTsIndex(counting, around))?.close();
    else {
      const reading = await readDemuxedIndex(counting, around);
      if ('index' in reading) await reading.index.close();
    }
    return { bytes, seconds: (performance.now() - started) / 1000 };
  } finally {
    await source.close();
  }
}

const inputs: Record<string, string> = withHevc ? { mp4, mkv, ts, 'hevc closed GOP': hevcClosed, 'hevc open GOP': hevcOpen } : { mp4, mkv, ts };
const size = async (file: string): Promise<string> => `${((await stat(file)).size / 1e6).toFixed(0)} MB`;
console.log(`${FRAMES} exact frames, ${MINUTES}-minute files (${await size(mp4)} 1080p H.264${withHevc ? `; HEVC 720p ${await size(hevcOpen)}` : ''}), ${ROUNDS} interleaved rounds, ${cores} cores, ffmpeg ${binaries.ffmpeg}`);
console.log(`index build: MKV (mediabunny) ${await indexSeconds(mkv, 'mediabunny')}; TS (own scan) ${await indexSeconds(ts, 'own')}; TS (mediabunny) ${await indexSeconds(ts, 'mediabunny')}`);
{
  const sparse = Array.from({ length: Math.max(1, Math.floor(seconds / 12)) }, (_, i) => 6 + i * 12);
  for (const [label, file, start] of [['MKV', mkv, 0], ['TS', ts, (await probeMedia(binaries.ffprobe, ts, ts)).startTime]] as const) {
    const pass = await indexReads(file, undefined);
    const around = await indexReads(file, sparse.map((time) => start + time));
    console.log(`${label} index, ${sparse.length} times 12 s apart: around them ${(around.bytes / 1e6).toFixed(1)} MB in ${around.seconds.toFixed(2)} s; a pass ${(pass.bytes / 1e6).toFixed(1)} MB in ${pass.seconds.toFixed(2)} s: ${(around.bytes / pass.bytes).toFixed(2)}× the bytes`);
  }
}
const results = new Map<string, Result[]>();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [label, file] of Object.entries(inputs)) {
    const result = await run(file);
    results.set(label, [...(results.get(label) ?? []), result]);
    console.log(`round ${round + 1} ${label.padEnd(16)} wall ${result.wall.toFixed(1).padStart(6)} s  ffmpeg CPU ${result.cpu.toFixed(1).padStart(6)} s  ${result.detail}`);
  }
}
const wall = (label: string): number => median(results.get(label)!.map((result) => result.wall));
const cpu = (label: string): number => median(results.get(label)!.map((result) => result.cpu));
console.log('\nmedians:');
for (const label of Object.keys(inputs)) console.log(`  ${label.padEnd(16)} wall ${wall(label).toFixed(1)} s  ffmpeg CPU ${cpu(label).toFixed(1)} s`);
console.log(`  MKV / MP4 ${(wall('mkv') / wall('mp4')).toFixed(2)}×  TS / MP4 ${(wall('ts') / wall('mp4')).toFixed(2)}× (goal ≤ 1.5×)`);
if (withHevc) console.log(`  open / closed GOP HEVC ${(wall('hevc open GOP') / wall('hevc closed GOP')).toFixed(2)}× wall, ${(cpu('hevc open GOP') / cpu('hevc closed GOP')).toFixed(2)}× CPU (goal ≤ 2×)`);

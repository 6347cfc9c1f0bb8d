/**
 * The indexed path across containers and GOP structures, ratios in the same run
 * (interleaved rounds, medians), each figure with its file's length:
 *   - 150 exact frames from a 1080p25 H.264 MP4 (6 Mbit/s, B-frames, 2 s GOPs) against
 *     its stream copies as MKV and MPEG-TS (goal: within 1.3× of the MP4, issue 20), at
 *     each of the bench lengths (bench/media.ts: 10 and 30 minutes; --quick: 2)
 *   - 150 exact frames from a 720p25 HEVC MP4 with x265's open GOPs (CRA) against the
 *     same encode with closed GOPs (goal: within 2×), 2-minute files (x265 is slow to encode here)
 * Files are cached in bench/.cache. FRAMESCORE_BENCH_HEVC=0 leaves out the HEVC pair;
 * FRAMESCORE_BENCH_LENGTHS=10,30 picks the lengths.
 *   node dist/bench/containers.bench.js [--quick]
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
import { readMatroskaIndex } from '../src/media/matroska/block-index.js';
import type { VideoIndex } from '../src/media/index/video-index.js';
import { readMpegTsIndex } from '../src/media/mpeg-ts/mpeg-ts-index.js';
import { BENCH_CACHE, benchLengths, broadcastSet, childCpuSeconds, lengthLabel } from './media.js';

const FRAMES = Number(process.env.FRAMESCORE_BENCH_FRAMES ?? 150);
const HEVC_MINUTES = 2;
const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 3);
const cores = os.availableParallelism();
const binaries = resolveBinaries();
const seconds = HEVC_MINUTES * 60;

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

/** The index build alone, which a TS pays in full since it has no index: framescore's own (TS scan, Matroska block walk), and mediabunny's for comparison. */
async function indexSeconds(file: string, reader: 'own' | 'mediabunny'): Promise<string> {
  const source = await openByteSource(file);
  const started = performance.now();
  try {
    const own = (): Promise<VideoIndex | undefined> => (file.endsWith('.ts') ? readMpegTsIndex(source) : readMatroskaIndex(source).then((reading) => ('index' in reading ? reading.index : undefined)));
    const index = reader === 'own' ? await own() : await readDemuxedIndex(source).then((reading) => ('index' in reading ? reading.index : undefined));
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
      // framescore's own Matroska index (block headers), as the sampler reads it.
      const reading = await readMatroskaIndex(counting, around);
      if ('index' in reading) await reading.index.close();
    }
    return { bytes, seconds: (performance.now() - started) / 1000 };
  } finally {
    await source.close();
  }
}

const size = async (file: string): Promise<string> => `${((await stat(file)).size / 1e6).toFixed(0)} MB`;

/** Index builds and reads of the MKV and TS copies, then the interleaved rounds of every input. */
async function benchLength(label: string, mp4: string, mkv: string, ts: string, extra: Record<string, string>): Promise<void> {
  const inputs: Record<string, string> = { mp4, mkv, ts, ...extra };
  const duration = (await probeMedia(binaries.ffprobe, mp4, mp4)).duration;
  console.log(`\n${label}: ${FRAMES} exact frames, ${lengthLabel(duration)} 1080p H.264 (${await size(mp4)})${Object.keys(extra).length > 0 ? `; HEVC 720p ${HEVC_MINUTES} min (${await size(Object.values(extra)[0]!)})` : ''}, ${ROUNDS} interleaved rounds, ${cores} cores, ffmpeg ${binaries.ffmpeg}`);
  console.log(`index build: MKV (own block walk) ${await indexSeconds(mkv, 'own')}; MKV (mediabunny) ${await indexSeconds(mkv, 'mediabunny')}; TS (own scan) ${await indexSeconds(ts, 'own')}; TS (mediabunny) ${await indexSeconds(ts, 'mediabunny')}`);
  const sparse = Array.from({ length: Math.max(1, Math.floor(duration / 12)) }, (_, i) => 6 + i * 12);
  for (const [kind, file, start] of [['MKV', mkv, 0], ['TS', ts, (await probeMedia(binaries.ffprobe, ts, ts)).startTime]] as const) {
    const pass = await indexReads(file, undefined);
    const around = await indexReads(file, sparse.map((time) => start + time));
    console.log(`${kind} index, ${sparse.length} times 12 s apart: around them ${(around.bytes / 1e6).toFixed(1)} MB in ${around.seconds.toFixed(2)} s; a pass ${(pass.bytes / 1e6).toFixed(1)} MB in ${pass.seconds.toFixed(2)} s: ${(around.bytes / pass.bytes).toFixed(3)}× the bytes`);
  }
  const results = new Map<string, Result[]>();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, file] of Object.entries(inputs)) {
      const result = await run(file);
      results.set(name, [...(results.get(name) ?? []), result]);
      console.log(`round ${round + 1} ${name.padEnd(16)} wall ${result.wall.toFixed(1).padStart(6)} s  ffmpeg CPU ${result.cpu.toFixed(1).padStart(6)} s  ${result.detail}`);
    }
  }
  const wall = (name: string): number => median(results.get(name)!.map((result) => result.wall));
  const cpu = (name: string): number => median(results.get(name)!.map((result) => result.cpu));
  console.log(`medians (${label}):`);
  for (const name of Object.keys(inputs)) console.log(`  ${name.padEnd(16)} wall ${wall(name).toFixed(1)} s  ffmpeg CPU ${cpu(name).toFixed(1)} s`);
  console.log(`  ${lengthLabel(duration)}: MKV / MP4 ${(wall('mkv') / wall('mp4')).toFixed(2)}×  TS / MP4 ${(wall('ts') / wall('mp4')).toFixed(2)}× (goal ≤ 1.3×)`);
  if ('hevc open GOP' in inputs) console.log(`  HEVC ${HEVC_MINUTES} min: open / closed GOP ${(wall('hevc open GOP') / wall('hevc closed GOP')).toFixed(2)}× wall, ${(cpu('hevc open GOP') / cpu('hevc closed GOP')).toFixed(2)}× CPU (goal ≤ 2×)`);
}

for (const [i, minutes] of benchLengths().entries()) {
  const files = await broadcastSet(minutes);
  // The HEVC pair once, beside the first length.
  await benchLength(`${minutes}-minute files`, files.mp4, files.mkv, files.ts, withHevc && i === 0 ? { 'hevc closed GOP': hevcClosed, 'hevc open GOP': hevcOpen } : {});
}

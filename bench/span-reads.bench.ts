/**
 * What the function reads to plan one span job, without S3: the 1080p25 bench file's MKV
 * and TS copies (stream copies of the MP4's encode) behind the span jobs' object source
 * (its 32 kB blocks, read-ahead and one GET per run of missing blocks), each GET answered
 * from the file after FRAMESCORE_BENCH_GET_MS (default 20, about an S3 GET's first byte
 * in-region). For spans of 12 times a second apart at several places in the file: the
 * bytes, GETs and wall time of reading the index around the times (`readVideoIndex`, as
 * `span-jobs.ts` does), the bytes its GOP walks then need, and the bytes the MP4's GOP
 * jobs for the same times read (the client plans those from the moov). Ratios to the MP4's
 * jobs in the same run; spans interleaved, medians.
 *
 * The 30-minute file by default; FRAMESCORE_BENCH_MINUTES=10 for the quicker one;
 * FRAMESCORE_BENCH_SPANS (default 5) spans, FRAMESCORE_BENCH_ROUNDS (default 3) rounds.
 *   node dist/bench/span-reads.bench.js
 */
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ByteRange } from '../src/lambda/sampling/object-reader.js';
import { ObjectSource } from '../src/lambda/sampling/object-source.js';
import { readVideoIndex } from '../src/media/formats.js';
import { resolveBinaries } from '../src/media/binaries.js';
import { probeMedia } from '../src/media/probe.js';
import { jobTrackOf, planDecodeJobs } from '../src/media/sampling/decode-jobs.js';
import { broadcastSet, lengthLabel } from './media.js';

const MINUTES = Number(process.env.FRAMESCORE_BENCH_MINUTES ?? 30);
const GET_MS = Number(process.env.FRAMESCORE_BENCH_GET_MS ?? 20);
const SPANS = Number(process.env.FRAMESCORE_BENCH_SPANS ?? 5);
const ROUNDS = Number(process.env.FRAMESCORE_BENCH_ROUNDS ?? 3);
const TIMES = 12;
const CONTAINERS = ['mp4', 'mkv', 'ts'] as const;
type Container = (typeof CONTAINERS)[number];

interface Reading {
  readonly indexBytes: number;
  readonly gets: number;
  readonly indexMs: number;
  /** The bytes from each GOP walk's first frame to its last, summed. */
  readonly walkBytes: number;
  /** Bytes the walks need that the index read did not fetch (read when they run). */
  readonly walkExtra: number;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

/** The file as the object source's reader: ranges from disk, each after GET_MS, counted. */
function fileReader(handle: FileHandle): { readRange(range: ByteRange): Promise<Buffer>; fetched: ByteRange[] } {
  const fetched: ByteRange[] = [];
  return {
    fetched,
    async readRange(range) {
      fetched.push(range);
      await sleep(GET_MS);
      const bytes = Buffer.alloc(range.to - range.from);
      await handle.read(bytes, 0, bytes.length, range.from);
      return bytes;
    },
  };
}

/** Bytes in `needed` that no range in `fetched` covers. */
function uncovered(needed: readonly ByteRange[], fetched: readonly ByteRange[]): number {
  const sorted = [...fetched].sort((a, b) => a.from - b.from);
  let missing = 0;
  for (const { from, to } of needed) {
    let at = from;
    for (const range of sorted) {
      if (range.to <= at || range.from >= to) continue;
      if (range.from > at) missing += range.from - at;
      at = Math.max(at, range.to);
    }
    if (at < to) missing += to - at;
  }
  return missing;
}

async function readSpan(file: string, size: number, startTime: number, requested: readonly number[]): Promise<Reading> {
  const handle = await open(file);
  try {
    const reader = fileReader(handle);
    const source = new ObjectSource(reader, size);
    const times = requested.map((time) => startTime + time);
    const started = performance.now();
    const reading = await readVideoIndex(source, { times, duration: undefined, around: 'always', clockContinuous: true });
    const indexMs = performance.now() - started;
    if (!('index' in reading)) throw new Error(`${file}: ${reading.unsupported}`);
    const indexed = jobTrackOf(reading.index);
    if (indexed === undefined) throw new Error(`${file}: no job track`);
    const jobs = planDecodeJobs(requested.map((requestedTime, index) => ({ index, requestedTime })), indexed.index, { startTime, keyframes: false });
    if (jobs.seeks.length > 0 || jobs.late.length > 0) throw new Error(`${file}: ${jobs.seeks.length} seeks, ${jobs.late.length} failures`);
    const walks = jobs.gops.map((gop) => ({ from: Math.min(...gop.offsets), to: Math.max(...gop.offsets.map((offset, i) => offset + gop.sizes[i]!)) }));
    const indexBytes = reader.fetched.reduce((sum, range) => sum + range.to - range.from, 0);
    return {
      indexBytes, gets: reader.fetched.length, indexMs,
      walkBytes: walks.reduce((sum, range) => sum + range.to - range.from, 0), walkExtra: uncovered(walks, reader.fetched),
    };
  } finally {
    await handle.close();
  }
}

const set = await broadcastSet(MINUTES);
const files: Record<Container, string> = { mp4: set.mp4, mkv: set.mkv, ts: set.ts };
const { ffprobe } = resolveBinaries();
const media = new Map<Container, { size: number; startTime: number; duration: number }>();
for (const container of CONTAINERS) {
  const info = await probeMedia(ffprobe, files[container], files[container]);
  const handle = await open(files[container]);
  media.set(container, { size: (await handle.stat()).size, startTime: info.startTime, duration: info.duration });
  await handle.close();
}
const duration = media.get('mp4')!.duration;
const spans = Array.from({ length: SPANS }, (_, i) => Math.floor(((i + 0.5) * (duration - TIMES)) / SPANS));
const readings = new Map<Container, Reading[]>(CONTAINERS.map((container) => [container, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const first of spans) {
    const requested = Array.from({ length: TIMES }, (_, i) => first + i);
    for (const container of CONTAINERS) {
      const { size, startTime } = media.get(container)!;
      readings.get(container)!.push(await readSpan(files[container], size, startTime, requested));
    }
  }
}

console.log(`${lengthLabel(duration)} 1080p25 file, ${SPANS} spans of ${TIMES} times a second apart, ${ROUNDS} rounds, ${GET_MS} ms to each GET's first byte (medians)`);
const mp4Walks = median(readings.get('mp4')!.map((reading) => reading.walkBytes));
for (const container of CONTAINERS) {
  const all = readings.get(container)!;
  const index = median(all.map((reading) => reading.indexBytes));
  const extra = median(all.map((reading) => reading.walkExtra));
  const total = container === 'mp4' ? mp4Walks : index + extra;
  const what = container === 'mp4'
    ? `GOP jobs read ${mb(mp4Walks)} (the client planned them from the moov)`
    : `index read ${mb(index)} in ${median(all.map((reading) => reading.gets))} GETs, ${median(all.map((reading) => reading.indexMs)).toFixed(0)} ms; `
      + `its walks need ${mb(median(all.map((reading) => reading.walkBytes)))}, ${mb(extra)} of it not yet read; in all ${mb(total)} = ${(total / mp4Walks).toFixed(2)}× the MP4's jobs`;
  console.log(`  ${container.padEnd(4)} ${what}`);
}

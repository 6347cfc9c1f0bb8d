/**
 * The benchmark videos, like the files users have: 1080p25 H.264 High with B-frames,
 * about 6 Mbit/s, a keyframe every 2 s, 10 and 30 minutes long (2 minutes as a quick
 * mode), each as an MP4 and its MKV and MPEG-TS stream copies; and a 400 s 768×576
 * MPEG-4 Part 2 AVI. Encoding 30 minutes takes far too long on these 2 shared cores, so
 * a 5-minute segment is encoded once (x264 veryfast) and stream-copied: concatenated for
 * the long files, cut at a keyframe for the 2-minute one. Everything is cached in
 * bench/.cache (FRAMESCORE_BENCH_CACHE moves it, e.g. to share one cache between
 * clones); `node dist/bench/media.js` makes the whole set.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinaries } from '../src/media/binaries.js';
import { runProcess } from '../src/media/process.js';

export const BENCH_CACHE = process.env.FRAMESCORE_BENCH_CACHE ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', '.cache');
const SEGMENT_MINUTES = 5;
/** Long encodes and copies of 1.4 GB files: no timeout worth having. */
const NO_TIMEOUT = { timeoutMs: 6 * 3_600_000 };

/** The lengths sampling benches run at: FRAMESCORE_BENCH_LENGTHS (minutes, comma-separated; default 10,30), or 2 with --quick. */
export function benchLengths(argv: readonly string[] = process.argv): number[] {
  if (argv.includes('--quick')) return [2];
  const listed = (process.env.FRAMESCORE_BENCH_LENGTHS ?? '10,30').split(',').map(Number).filter((minutes) => Number.isFinite(minutes) && minutes > 0);
  return listed.length > 0 ? listed : [10, 30];
}

/** "10 min", "6.7 min": the length printed beside every figure. */
export function lengthLabel(seconds: number): string {
  // 600.04 s is "10 min"; 400 s is "6.7 min".
  return `${Number((seconds / 60).toFixed(1))} min`;
}

const exists = (file: string): Promise<boolean> => stat(file).then((info) => info.size > 0, () => false);

export async function broadcastVideo(minutes = Number(process.env.FRAMESCORE_BENCH_MINUTES ?? 30)): Promise<string> {
  const output = path.join(BENCH_CACHE, `broadcast-1080p-${minutes}min.mp4`);
  if (await exists(output)) return output;
  const segment = await broadcastSegment();
  const { ffmpeg } = resolveBinaries();
  const temp = `${output}.tmp.mp4`;
  if (minutes < SEGMENT_MINUTES) {
    // The segment's keyframes are 2 s apart: a cut at a whole number of minutes is a clean one.
    await runProcess(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', segment, '-t', String(minutes * 60), '-c', 'copy', '-movflags', '+faststart', temp], NO_TIMEOUT);
  } else {
    const copies = Math.max(1, Math.round(minutes / SEGMENT_MINUTES));
    const list = path.join(BENCH_CACHE, `concat-${minutes}.txt`);
    await writeFile(list, Array.from({ length: copies }, () => `file '${segment}'\n`).join(''));
    await runProcess(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', temp], NO_TIMEOUT);
    await rm(list, { force: true });
  }
  await rename(temp, output);
  return output;
}

/** The 5-minute 1080p encode every broadcast file is copied from. */
async function broadcastSegment(): Promise<string> {
  const segmentSeconds = SEGMENT_MINUTES * 60;
  const segment = path.join(BENCH_CACHE, `segment-1080p-${segmentSeconds}s.mp4`);
  if (await exists(segment)) return segment;
  await mkdir(BENCH_CACHE, { recursive: true });
  console.error(`bench: encoding a ${segmentSeconds} s 1080p segment once (a few minutes)…`);
  const temp = `${segment}.tmp.mp4`;
  await runProcess(resolveBinaries().ffmpeg, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=25:duration=${segmentSeconds}`,
    // Temporal noise keeps the encoder busy at the target bitrate, as real footage would.
    '-vf', 'noise=alls=12:allf=t',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M',
    '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '3', '-pix_fmt', 'yuv420p', temp,
  ], NO_TIMEOUT);
  await rename(temp, segment);
  return segment;
}

export interface BroadcastSet {
  readonly minutes: number;
  readonly mp4: string;
  /** Stream copies of the MP4: the same frames, another container. */
  readonly mkv: string;
  readonly ts: string;
  /** Matroska as other muxers write it: 1-second clusters with a Cue per keyframe (as mkvmerge and OBS at short cluster limits), and written to a pipe as live recorders do (no Cues, no Duration). */
  readonly mkvShortClusters: string;
  readonly mkvNoCues: string;
}

/** The broadcast file of this length and its stream copies: MKV and MPEG-TS by ffmpeg's default muxers, and two other Matroska layouts. */
export async function broadcastSet(minutes: number): Promise<BroadcastSet> {
  const mp4 = await broadcastVideo(minutes);
  const ffmpeg = resolveBinaries().ffmpeg;
  const copy = async (suffix: string, muxer: readonly string[], target?: (temp: string) => Promise<void>): Promise<string> => {
    const output = mp4.replace(/\.mp4$/, suffix);
    if (await exists(output)) return output;
    const temp = `${output}.tmp${path.extname(output)}`;
    if (target === undefined) await runProcess(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', mp4, '-map', '0:v:0', '-c', 'copy', ...muxer, temp], NO_TIMEOUT);
    else await target(temp);
    await rename(temp, output);
    return output;
  };
  return {
    minutes, mp4,
    mkv: await copy('.mkv', []),
    ts: await copy('.ts', []),
    mkvShortClusters: await copy('-1s-clusters.mkv', ['-cluster_time_limit', '1000', '-cluster_size_limit', String(64 * 1024 * 1024)]),
    // Written to a pipe, ffmpeg's Matroska muxer cannot go back for the Cues or the Duration.
    mkvNoCues: await copy('-piped.mkv', [], async (temp) => {
      const child = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', mp4, '-map', '0:v:0', '-c', 'copy', '-f', 'matroska', 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((resolve, reject) => { child.once('error', reject); child.once('close', resolve); });
      await pipeline(child.stdout, createWriteStream(temp));
      const code = await exited;
      if (code !== 0) throw new Error(`ffmpeg exited with ${code} writing ${temp}`);
    }),
  };
}

/** CPU seconds used by finished child processes of this process (Linux /proc). */
export async function childCpuSeconds(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ');
  // After the ") " split, cutime and cstime are fields 14 and 15 (0-based), in clock ticks.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}


/**
 * A low-resolution, cheap-to-decode file like OpenCV's vtest.avi (×5 concatenated):
 * 768×576, 10 fps, MPEG-4 Part 2 (msmpeg4v3) in AVI, 400 s by default (about 20 s to
 * encode). Cached beside the broadcast files.
 */
export async function lowResVideo(seconds = 400): Promise<string> {
  const output = path.join(BENCH_CACHE, `lowres-768x576-${seconds}s.avi`);
  if (await exists(output)) return output;
  await mkdir(BENCH_CACHE, { recursive: true });
  const temp = `${output}.tmp.avi`;
  await runProcess(resolveBinaries().ffmpeg, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=768x576:rate=10:duration=${seconds}`, '-vf', 'noise=alls=8:allf=t',
    '-c:v', 'msmpeg4v3', '-q:v', '4', temp,
  ], NO_TIMEOUT);
  await rename(temp, output);
  return output;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // The whole set, once: later benches find it cached.
  for (const minutes of [...new Set([2, ...benchLengths()])]) console.log(Object.values(await broadcastSet(minutes)).slice(1).join('\n'));
  console.log(await lowResVideo());
}

/**
 * The benchmark video, like a broadcast file: 30 minutes of 1080p25 H.264 High with
 * B-frames, about 6 Mbit/s, a keyframe every 2 s. Encoding 30 minutes takes far too
 * long here, so a 5-minute segment is encoded once and stream-copied six times.
 * Cached in bench/.cache between runs (FRAMESCORE_BENCH_MINUTES changes the length).
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinaries } from '../src/media/binaries.js';
import { runProcess } from '../src/media/process.js';

export const BENCH_CACHE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', '.cache');
const SEGMENT_MINUTES = 5;

export async function broadcastVideo(minutes = Number(process.env.FRAMESCORE_BENCH_MINUTES ?? 30)): Promise<string> {
  const output = path.join(BENCH_CACHE, `broadcast-1080p-${minutes}min.mp4`);
  if (await stat(output).then((info) => info.size > 0, () => false)) return output;
  await mkdir(BENCH_CACHE, { recursive: true });
  const { ffmpeg } = resolveBinaries();
  const segmentSeconds = Math.min(minutes, SEGMENT_MINUTES) * 60;
  const segment = path.join(BENCH_CACHE, `segment-1080p-${segmentSeconds}s.mp4`);
  if (!(await stat(segment).then((info) => info.size > 0, () => false))) {
    console.error(`bench: encoding a ${segmentSeconds} s 1080p segment once (a few minutes)…`);
    const temp = `${segment}.tmp.mp4`;
    await runProcess(ffmpeg, [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=25:duration=${segmentSeconds}`,
      // Temporal noise keeps the encoder busy at the target bitrate, as real footage would.
      '-vf', 'noise=alls=12:allf=t',
      '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M',
      '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-bf', '3', '-pix_fmt', 'yuv420p', temp,
    ]);
    await rename(temp, segment);
  }
  const copies = Math.max(1, Math.round(minutes / SEGMENT_MINUTES));
  const list = path.join(BENCH_CACHE, 'concat.txt');
  await writeFile(list, Array.from({ length: copies }, () => `file '${segment}'\n`).join(''));
  const temp = `${output}.tmp.mp4`;
  await runProcess(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', temp]);
  await rename(temp, output);
  await rm(list, { force: true });
  return output;
}

/** CPU seconds used by finished child processes of this process (Linux /proc). */
export async function childCpuSeconds(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1]!.split(' ');
  // After the ") " split, cutime and cstime are fields 14 and 15 (0-based), in clock ticks.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await broadcastVideo());
}

/**
 * A low-resolution, cheap-to-decode file like OpenCV's vtest.avi: 768×576, 10 fps,
 * MPEG-4 Part 2 (msmpeg4v3) in AVI, three minutes (10 s to encode). Cached beside the broadcast file.
 */
export async function lowResVideo(seconds = 180): Promise<string> {
  const output = path.join(BENCH_CACHE, `lowres-768x576-${seconds}s.avi`);
  if (await stat(output).then((info) => info.size > 0, () => false)) return output;
  await mkdir(BENCH_CACHE, { recursive: true });
  const temp = `${output}.tmp.avi`;
  await runProcess(resolveBinaries().ffmpeg, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=768x576:rate=10:duration=${seconds}`, '-vf', 'noise=alls=8:allf=t',
    '-c:v', 'msmpeg4v3', '-q:v', '4', temp,
  ]);
  await rename(temp, output);
  return output;
}

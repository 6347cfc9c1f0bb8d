/**
 * The oracle for sampling-edge tests: one ffmpeg decode of the whole file, every frame
 * with its time and pixels, scaled exactly as framescore scales its frames.
 */
import path from 'node:path';
import { scaleFilter } from '../../src/media/decode/extract.js';
import { runProcess } from '../../src/media/process.js';

export interface OracleFrame {
  /** Seconds from the video's first frame, as framescore reports times. */
  readonly time: number;
  readonly pixels: Buffer;
}

const SHOWINFO_PTS = /Parsed_showinfo.*\bpts_time:\s*(-?[\d.]+)/;

/** Every frame one full decode shows (with `keyframes`, only the keyframes), in order. */
export async function decodeWhole(ffmpeg: string, ffprobe: string, file: string, size: number, keyframes = false): Promise<OracleFrame[]> {
  const input = `file:${path.resolve(file)}`;
  const probe = await runProcess(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=start_time:format=start_time', '-of', 'default=nw=1:nk=1', input]);
  const start = probe.stdout.toString('utf8').split('\n').map(Number).find((n) => Number.isFinite(n)) ?? 0;
  const times: number[] = [];
  const { stdout } = await runProcess(ffmpeg, [
    '-hide_banner', '-nostdin', '-loglevel', 'info', '-threads', '1',
    ...(keyframes ? ['-skip_frame', 'nokey'] : []), '-copyts', '-i', input,
    '-map', '0:v:0', '-an', '-vsync', '0',
    '-vf', `${keyframes ? 'select=key,' : ''}showinfo,${scaleFilter(size, size, 'crop')}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ], {
    timeoutMs: 600_000,
    onStderrLine: (line) => {
      const match = SHOWINFO_PTS.exec(line);
      if (match) times.push(Number(match[1]) - start);
    },
  });
  const bytes = size * size * 3;
  return times.map((time, i) => ({ time, pixels: stdout.subarray(i * bytes, (i + 1) * bytes) })).filter((frame) => frame.pixels.length === bytes);
}

/**
 * The frame for `time`: the first shown at or after it, or the last frame when the time
 * is after it; with `keyframes` (frames from a keyframes-only decode), the last at or before it.
 */
export function expectedFrame(frames: readonly OracleFrame[], time: number, keyframes: boolean): OracleFrame | undefined {
  const sorted = [...frames].sort((a, b) => a.time - b.time);
  if (keyframes) return sorted.filter((frame) => frame.time <= time + 0.0005).at(-1);
  return sorted.find((frame) => frame.time >= time - 0.0005) ?? sorted.at(-1);
}

/** The largest difference of one channel value between two frames. */
export function maxPixelDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 255;
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

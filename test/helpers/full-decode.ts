/**
 * The oracle for sampling tests: ONE ffmpeg decoding the whole file, every frame
 * scaled exactly as framescore scales a sampled frame (its own scale filter, raw RGB)
 * and reported by showinfo with its presentation time and ffmpeg's key flag (IDR,
 * recovery-point SEI, HEVC IRAP: what the decoder calls a keyframe).
 */
import { readFile } from 'node:fs/promises';
import { resolveBinaries } from '../../src/media/binaries.js';
import { scaleFilter } from '../../src/media/decode/extract.js';
import { runProcess } from '../../src/media/process.js';
import { probeVideo } from './corpus-media.js';

export interface DecodedFrame {
  /** Seconds from the video stream's start (ffprobe's start_time), the origin framescore reports from. */
  readonly time: number;
  readonly key: boolean;
  /** Packed RGB at the requested size. */
  readonly pixels: Buffer;
  /** Its coded data covers a damaged MPEG-TS packet (no sync byte): ffmpeg's picture is concealment. */
  readonly damaged: boolean;
}

export interface FullDecode {
  readonly frames: readonly DecodedFrame[];
  /** The stream's start time the frame times are relative to. */
  readonly startTime: number;
}

const SHOWINFO = /Parsed_showinfo.*\bpts_time:\s*(-?[\d.]+).*\bpos:\s*(-?\d+).*\biskey:\s*(\d)/;

export async function fullDecode(file: string, width: number, height: number): Promise<FullDecode> {
  const { ffmpeg, ffprobe } = resolveBinaries();
  const { startTime, fileStartTime } = await probeVideo(ffprobe, file);
  const shown: Array<{ time: number; key: boolean; pos: number }> = [];
  // ffmpeg's own timeline, as a player or a conversion shows the file: it starts at the
  // file's start time and closes a joined MPEG-TS's clock jumps (more than 10 s either
  // way) to one frame; -vsync 0: every decoded frame once, no duplicates.
  const { stdout } = await runProcess(ffmpeg, [
    '-hide_banner', '-nostdin', '-loglevel', 'info', '-i', file,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', `showinfo,${scaleFilter(width, height, 'crop')}`,
    '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ], {
    timeoutMs: 600_000,
    onStderrLine: (line) => {
      const match = SHOWINFO.exec(line);
      if (match) shown.push({ time: Number(match[1]), pos: Number(match[2]), key: match[3] === '1' });
    },
  });
  const size = width * height * 3;
  if (stdout.length !== shown.length * size) throw new Error(`full decode of ${file}: ${shown.length} frames reported, ${stdout.length / size} written`);
  // Without -copyts ffmpeg subtracts the file's start time (the earliest of its streams);
  // framescore counts from the video stream's own start.
  const origin = Number.isFinite(startTime) && Number.isFinite(fileStartTime) ? startTime - fileStartTime : 0;
  const damage = brokenTsPackets(await readFile(file));
  // A frame's data runs from its packet's position to the next frame's in the file.
  const starts = [...new Set(shown.map((frame) => frame.pos).filter((pos) => pos >= 0))].sort((a, b) => a - b);
  const damaged = (pos: number): boolean => {
    const end = starts.find((start) => start > pos) ?? Number.POSITIVE_INFINITY;
    return pos >= 0 && damage.some((at) => at >= pos && at < end);
  };
  return {
    startTime: origin,
    frames: shown.map((frame, n) => ({ time: frame.time - origin, key: frame.key, damaged: damaged(frame.pos), pixels: stdout.subarray(n * size, (n + 1) * size) })),
  };
}

/** Byte offsets of the packets of an MPEG-TS file whose sync byte is wrong (none for other files). */
function brokenTsPackets(bytes: Buffer): number[] {
  const isTs = bytes.length >= 3 * 188 && bytes[0] === 0x47 && bytes[188] === 0x47 && bytes[376] === 0x47;
  const broken: number[] = [];
  if (!isTs) return broken;
  for (let at = 0; at + 188 <= bytes.length; at += 188) if (bytes[at] !== 0x47) broken.push(at);
  return broken;
}

/** Where the oracle puts the frame for a requested time. */
export type Expected =
  | { readonly kind: 'frame'; readonly frame: DecodedFrame; readonly index: number }
  /**
   * ffmpeg shows no real picture for this time either: framescore may fail it; a
   * picture it gives must still be `frame` (the next one ffmpeg shows, or the concealed
   * one ffmpeg shows), or, with no `frame`, one ffmpeg decodes, at that frame's time.
   */
  | { readonly kind: 'none'; readonly reason: string; readonly frame?: DecodedFrame; readonly index?: number };

/**
 * Exact sampling: the first frame shown at or after `time`; after the last frame, the
 * last frame (the picture on screen then), unless the file's end is damaged, where
 * nothing is shown past the last decodable frame. Before the first decodable frame
 * of a file whose start cannot be decoded (a stream cut mid-GOP) there is no picture,
 * and a frame made from a damaged packet is concealment, not a picture.
 * `--keyframes`: the last keyframe at or before `time` (before the first keyframe, the first).
 */
export function expectedFrame(decode: FullDecode, time: number, options: { keyframes: boolean; damagedEnd: boolean }): Expected {
  const frames = decode.frames;
  const slack = 0.0005;
  if (frames.length === 0) return { kind: 'none', reason: 'ffmpeg decodes no frame' };
  const candidates = options.keyframes ? frames.map((frame, index) => ({ frame, index })).filter(({ frame }) => frame.key) : frames.map((frame, index) => ({ frame, index }));
  if (candidates.length === 0) return { kind: 'none', reason: 'ffmpeg decodes no keyframe' };
  const first = frames[0]!;
  const last = frames[frames.length - 1]!;
  if (options.damagedEnd && time > last.time + frameInterval(decode, frames.length - 1)) {
    return { kind: 'none', reason: `past the last frame ffmpeg decodes (${last.time.toFixed(3)} s) of a damaged file` };
  }
  let pick: { frame: DecodedFrame; index: number };
  if (options.keyframes) {
    const before = candidates.filter(({ frame }) => frame.time <= time + slack);
    pick = before[before.length - 1] ?? candidates[0]!;
  } else {
    pick = candidates.find(({ frame }) => frame.time >= time - slack) ?? candidates[candidates.length - 1]!;
  }
  if (pick.frame.damaged) return { kind: 'none', reason: 'ffmpeg conceals damage in this frame (a broken TS packet)', ...pick };
  if (first.time > 0.001 && time < first.time - frameInterval(decode, 0) / 2) {
    return { kind: 'none', reason: `before the first frame ffmpeg can decode (${first.time.toFixed(3)} s)`, ...pick };
  }
  return { kind: 'frame', ...pick };
}

/** The shorter of the gaps to the neighbouring frames (the only gap for an end frame). */
export function frameInterval(decode: FullDecode, index: number): number {
  const frames = decode.frames;
  const here = frames[index]!.time;
  const gaps = [frames[index - 1], frames[index + 1]].filter((frame) => frame !== undefined).map((frame) => Math.abs(frame.time - here)).filter((gap) => gap > 0);
  return gaps.length === 0 ? 0.04 : Math.min(...gaps);
}

/** Mean and largest absolute difference of two equally sized RGB buffers, in 0–255 units. */
export function pixelDifference(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  if (a.length !== b.length) return { mean: 255, max: 255 };
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i += 1) {
    const diff = Math.abs(a[i]! - b[i]!);
    sum += diff;
    if (diff > max) max = diff;
  }
  return { mean: sum / a.length, max };
}

/** The oracle frame whose pixels are closest to `pixels`: which picture framescore gave. */
export function closestFrame(decode: FullDecode, pixels: Uint8Array): { frame: DecodedFrame; mean: number } | undefined {
  let best: { frame: DecodedFrame; mean: number } | undefined;
  for (const frame of decode.frames) {
    const { mean } = pixelDifference(frame.pixels, pixels);
    if (best === undefined || mean < best.mean) best = { frame, mean };
  }
  return best;
}

/**
 * Real media files for integration tests, made with real ffmpeg (whichever
 * framescore resolves) into a cache directory under the OS temp dir, keyed by the
 * recipe, so repeated test runs reuse them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinaries } from '../../src/media/binaries.js';
import { runProcess } from '../../src/media/process.js';
import { ROOT } from './cli.js';

const cacheDir = path.join(os.tmpdir(), 'framescore-test-media');
const SIZE = '320x240';
const SAMPLE_SCRIPT = path.join(ROOT, 'dist', 'scripts', 'make-sample-video.js');

/** Each fixture: ffmpeg arguments after the global ones (output name appended). */
const RECIPES = {
  /** H.264 High with B-frames, keyframe every second, AAC audio. */
  'h264.mp4': ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=8`, '-f', 'lavfi', '-i', 'sine=frequency=300:duration=8', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
  'h264.mkv': ['-f', 'lavfi', '-i', `testsrc=size=${SIZE}:rate=30:duration=6`, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '30', '-pix_fmt', 'yuv420p'],
  /** MPEG-4 Part 2 in AVI, 24 fps. */
  'mpeg4.avi': ['-f', 'lavfi', '-i', `mandelbrot=size=${SIZE}:rate=24`, '-t', '6', '-c:v', 'mpeg4', '-q:v', '5', '-g', '24'],
  /** Three stretches at 10, 30 and 15 fps, kept variable. */
  'vfr.mkv': [
    '-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=10:duration=2`,
    '-f', 'lavfi', '-i', `testsrc=size=${SIZE}:rate=30:duration=2`,
    '-f', 'lavfi', '-i', `smptebars=size=${SIZE}:rate=15:duration=2`,
    '-filter_complex', '[0:v]settb=1/1000,setsar=1[a];[1:v]settb=1/1000,setsar=1[b];[2:v]settb=1/1000,setsar=1[c];[a][b][c]concat=n=3:v=1:a=0[v]',
    // -enc_time_base: ffmpeg 4.1 (the npm build) otherwise encodes in the first input's 1/10 s and rounds the 30 fps stretch onto it.
    '-map', '[v]', '-vsync', 'vfr', '-enc_time_base', '1/1000', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
  ],
  /** An empty edit puts the first frame at 1.5 s: the stream starts late, as in files cut from a longer programme. */
  'offset.mp4': ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=6`, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-pix_fmt', 'yuv420p', '-output_ts_offset', '1.5'],
  /** HEVC (hvc1) with B-frames and a keyframe every second: x265's closed GOPs, as broadcast HEVC deliverables use. */
  'hevc.mp4': ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=8`, '-c:v', 'libx265', '-preset', 'veryfast', '-x265-params', 'keyint=25:min-keyint=25:bframes=3:open-gop=0:log-level=error', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p'],
  /** x264 open GOPs: only the first keyframe is an IDR, the others recovery points the indexed path cannot start from. */
  'open-gop.mp4': ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=8`, '-c:v', 'libx264', '-preset', 'veryfast', '-x264-params', 'keyint=50:min-keyint=50:open-gop=1:bframes=3', '-pix_fmt', 'yuv420p'],
  /** x265's default open GOPs (CRA keyframes with RASL leading pictures) every 2 s. */
  'open-gop-hevc.mp4': ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=8`, '-c:v', 'libx265', '-preset', 'veryfast', '-x265-params', 'keyint=50:min-keyint=50:bframes=3:open-gop=1:log-level=error', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p'],
  /** VP9 in WebM with a keyframe every second (alt-ref frames in superframes). */
  'vp9.webm': ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=6`, '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', '25', '-pix_fmt', 'yuv420p'],
  /** The second half of `discontinuity.ts`: its timestamps start 20 s in. */
  'late-start.ts': ['-f', 'lavfi', '-i', `smptebars=size=${SIZE}:rate=25:duration=6`, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-pix_fmt', 'yuv420p', '-output_ts_offset', '20'],
  /**
   * A programme then a 40 s still slate at 2 frames a second (as a VFR encoder writes one): it costs under 1 kB a second, so
   * neighbouring points of the MPEG-TS bisection grid are far apart in time with no jump in the clock.
   */
  'slate.ts': [
    '-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=6`, '-f', 'lavfi', '-i', `color=c=navy:size=${SIZE}:rate=2:duration=40`,
    '-filter_complex', '[0:v]settb=1/1000,setsar=1[a];[1:v]settb=1/1000,setsar=1[b];[a][b]concat=n=2:v=1:a=0[v]',
    '-map', '[v]', '-vsync', 'vfr', '-enc_time_base', '1/1000', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-pix_fmt', 'yuv420p',
  ],
  /** The two halves of `spliced.ts`: 4 s of Baseline (no B-frames, so its SPS says no reordering), then 4 s of High with B-frames whose clock continues it. */
  'splice-head.ts': ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=30:duration=4`, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'baseline', '-g', '30', '-pix_fmt', 'yuv420p', '-muxdelay', '0', '-muxpreload', '0'],
  'splice-tail.ts': ['-f', 'lavfi', '-i', `smptebars=size=${SIZE}:rate=30:duration=4`, '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-bf', '3', '-g', '30', '-pix_fmt', 'yuv420p', '-muxdelay', '0', '-muxpreload', '0', '-output_ts_offset', '4'],
  'audio-only.m4a': ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'aac'],
  /** MPEG-TS: starts at a non-zero timestamp (1.4 s), which reports must subtract. */
  'h264.ts': ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=12`, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-pix_fmt', 'yuv420p'],
  'still.png': ['-f', 'lavfi', '-i', 'testsrc2=size=640x360', '-frames:v', '1'],
  'still.jpg': ['-f', 'lavfi', '-i', 'smptebars=size=300x200', '-frames:v', '1', '-q:v', '3'],
} as const;

export type Fixture = keyof typeof RECIPES | 'spliced.ts' | 'spliced.mkv' | 'h264-copy.mkv' | 'hevc.mkv' | 'hevc.ts' | 'open-gop-hevc.ts' | 'h264-copy.ts' | 'discontinuity.ts' | 'looped.ts' | 'open-gop.mkv' | 'sample.mp4' | 'rotated.mov' | 'vfr.mp4' | 'cut.mp4' | 'truncated.mp4' | 'corrupt-middle.mp4' | 'empty.mp4' | 'not-a-video.mp4' | 'live.webm';

export async function fixture(name: Fixture): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const { ffmpeg } = resolveBinaries();
  const file = path.join(cacheDir, `${digest(name, ffmpeg)}-${name}`);
  if (await exists(file)) return file;
  const temp = `${file}.tmp-${process.pid}${path.extname(name)}`;
  switch (name) {
    case 'sample.mp4':
      // The demo's sample episode: eight scenes with boundaries at 5, 10, 14, 19, 22, 26 and 31 s.
      await runProcess(process.execPath, [SAMPLE_SCRIPT, temp], { timeoutMs: 120_000 });
      break;
    case 'rotated.mov':
      // Stream copy with a rotate tag writes a display matrix (re-encoding would drop it on ffmpeg 5+).
      await encode(ffmpeg, ['-i', await fixture('h264.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90'], temp);
      break;
    case 'cut.mp4':
      // Cut by stream copy at 2.3 s: the file starts at the keyframe before, and the edit list hides the frames up to the cut.
      await encode(ffmpeg, ['-ss', '2.3', '-i', await fixture('h264.mp4'), '-c', 'copy', '-an'], temp);
      break;
    case 'h264-copy.mkv':
    case 'h264-copy.ts':
      // The MP4's stream copied: the same frames in Matroska / MPEG-TS (which starts at 1.48 s, the B-frame delay).
      await encode(ffmpeg, ['-i', await fixture('h264.mp4'), '-c', 'copy', '-an'], temp);
      break;
    case 'hevc.mkv':
    case 'hevc.ts':
      await encode(ffmpeg, ['-i', await fixture('hevc.mp4'), '-c', 'copy'], temp);
      break;
    case 'open-gop-hevc.ts':
      await encode(ffmpeg, ['-i', await fixture('open-gop-hevc.mp4'), '-c', 'copy'], temp);
      break;
    case 'open-gop.mkv':
      await encode(ffmpeg, ['-i', await fixture('open-gop.mp4'), '-c', 'copy'], temp);
      break;
    case 'looped.ts': {
      // late-start.ts (20–26 s) then h264.ts (1.4–13.4 s) joined with cat: the clock goes back, as in a looped capture.
      const parts = await Promise.all([readFile(await fixture('late-start.ts')), readFile(await fixture('h264.ts'))]);
      await writeFile(temp, Buffer.concat(parts));
      break;
    }
    case 'spliced.ts': {
      // An encoder change on a running clock (an ad break spliced in): the first SPS says no reordering, the second half's frames reorder.
      const parts = await Promise.all([readFile(await fixture('splice-head.ts')), readFile(await fixture('splice-tail.ts'))]);
      await writeFile(temp, Buffer.concat(parts));
      break;
    }
    case 'spliced.mkv':
      // Its stream copied: the codec record is the first half's SPS; the second half's keyframes carry theirs in band.
      await encode(ffmpeg, ['-i', await fixture('spliced.ts'), '-c', 'copy'], temp);
      break;
    case 'discontinuity.ts': {
      // Two TS files joined with cat: the timestamps jump from 13.5 s to 21.4 s, the continuity counters restart.
      const parts = await Promise.all([readFile(await fixture('h264.ts')), readFile(await fixture('late-start.ts'))]);
      await writeFile(temp, Buffer.concat(parts));
      break;
    }
    case 'live.webm': {
      // As a browser's MediaRecorder or a live encoder writes WebM: no Cues, no duration, and the
      // Segment's and every Cluster's size unknown (ffmpeg's live mode still writes the sizes: marked unknown here, in place).
      await encode(ffmpeg, ['-i', await fixture('vp9.webm'), '-c', 'copy', '-f', 'webm', '-live', '1'], temp);
      const bytes = await readFile(temp);
      markSizesUnknown(bytes);
      await writeFile(temp, bytes);
      break;
    }
    case 'vfr.mp4':
      await encode(ffmpeg, ['-i', await fixture('vfr.mkv'), '-c', 'copy'], temp);
      break;
    case 'truncated.mp4':
      // moov first (faststart), then cut in half: the second half of the frames is gone.
      await encode(ffmpeg, ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=12`, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'], temp);
      await truncate(temp, Math.floor((await stat(temp)).size / 2));
      break;
    case 'corrupt-middle.mp4': {
      await encode(ffmpeg, ['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=12`, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'], temp);
      // Zero 40–60% of the file: roughly 5–7 s of picture data becomes unreadable.
      const size = (await stat(temp)).size;
      const handle = await open(temp, 'r+');
      await handle.write(Buffer.alloc(Math.floor(size * 0.2)), 0, Math.floor(size * 0.2), Math.floor(size * 0.4));
      await handle.close();
      break;
    }
    case 'empty.mp4':
      await (await open(temp, 'w')).close();
      break;
    case 'not-a-video.mp4': {
      const handle = await open(temp, 'w');
      await handle.write('This is a text file with a video extension.\n'.repeat(200));
      await handle.close();
      break;
    }
    default:
      await encode(ffmpeg, [...RECIPES[name]], temp);
  }
  await rename(temp, file);
  return file;
}

/** An EBML size field's length at `at`, and its value. */
function ebmlSize(bytes: Buffer, at: number): { length: number; value: number } {
  const length = Math.clz32(bytes[at]!) - 23;
  let value = bytes[at]! & (0xff >> length);
  for (let i = 1; i < length; i += 1) value = value * 256 + bytes[at + i]!;
  return { length, value };
}

/** Rewrites the Segment's and each Cluster's size field as "unknown" (all value bits set, same length). */
function markSizesUnknown(bytes: Buffer): void {
  const idLength = (at: number): number => Math.clz32(bytes[at]!) - 23;
  const unknown = (at: number, length: number): void => {
    bytes[at] = 0xff >> (length - 1);
    bytes.fill(0xff, at + 1, at + length);
  };
  const ebml = ebmlSize(bytes, 4);
  const segment = 4 + ebml.length + ebml.value;
  const segmentSize = ebmlSize(bytes, segment + 4);
  unknown(segment + 4, segmentSize.length);
  for (let at = segment + 4 + segmentSize.length; at < bytes.length;) {
    const id = bytes.readUIntBE(at, idLength(at));
    const size = ebmlSize(bytes, at + idLength(at));
    if (id === 0x1f43b675) unknown(at + idLength(at), size.length);
    at += idLength(at) + size.length + size.value;
  }
}

async function encode(ffmpeg: string, args: string[], output: string): Promise<void> {
  await runProcess(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args, output], { timeoutMs: 120_000 });
}

/**
 * The cache key: the ffmpeg and the recipe's source. A table recipe is its arguments; a
 * derived fixture's recipe is this module's code (it names the fixtures it is made from);
 * the sample episode's is its script. A changed recipe never reuses an old file.
 */
function digest(name: string, ffmpeg: string): string {
  const recipe = name in RECIPES ? JSON.stringify(RECIPES[name as keyof typeof RECIPES])
    : `${name} ${readFileSync(name === 'sample.mp4' ? SAMPLE_SCRIPT : fileURLToPath(import.meta.url), 'utf8')}`;
  return createHash('sha256').update(`v1 ${ffmpeg} ${recipe}`).digest('hex').slice(0, 10);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then((info) => info.size > 0 || file.endsWith('empty.mp4'), () => false);
}

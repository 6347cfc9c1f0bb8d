/**
 * The corpus: small videos with the properties of real media that framescore got
 * wrong (issue 17), made with the ffmpeg framescore resolves (the npm 4.1 build on a
 * machine with no system ffmpeg) and, where ffmpeg cannot write the property, a
 * few-line rewrite of the file's bytes. Cached under the OS temp dir by a hash of the
 * recipe, so a rerun costs nothing. test/corpus/README.md describes each file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveBinaries } from '../../src/media/binaries.js';
import { runProcess } from '../../src/media/process.js';

const SIZE = '160x120';
/** testsrc2 moves every frame (a sweeping gradient, moving boxes, a clock), so neighbouring frames differ. */
const source = (seconds: number, size = SIZE, rate = 25): string[] => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`];
const x264 = (params: string): string[] => ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-x264-params', params];

export interface CorpusFile {
  /** File name; also the frame directory `framescore sample` gives it (stems are unique). */
  readonly name: string;
  /** The property it has, for the mismatch table and the README. */
  readonly property: string;
  /**
   * The end of the file is damaged (truncated): a time past the last frame ffmpeg
   * decodes has no frame in the oracle either, so failing it is right.
   */
  readonly damagedEnd?: boolean;
}

type Maker = (ffmpeg: string, ffprobe: string, output: string) => Promise<void>;

interface Recipe extends CorpusFile {
  /** Hashed with the ffmpeg path into the cache name: change it and the file is remade. */
  readonly recipe: string;
  readonly make: Maker;
}

const encodeTo = (args: string[]): Maker => (ffmpeg, _ffprobe, output) => encode(ffmpeg, args, output);

const RECIPES: readonly Recipe[] = [
  {
    name: 'single-key.mp4',
    property: 'H.264 with one keyframe (an IDR) at the start and none after (-g 1000, no scene cuts), B-frames; 6 s at 25 fps',
    recipe: 'v1',
    make: encodeTo([...source(6), ...x264('keyint=1000:min-keyint=1000:scenecut=0:bframes=2')]),
  },
  {
    name: 'single-key.ts',
    property: 'the same single-keyframe H.264 stream, encoded straight to MPEG-TS (starts at 1.4 s)',
    recipe: 'v1',
    make: encodeTo([...source(6), ...x264('keyint=1000:min-keyint=1000:scenecut=0:bframes=2'), '-f', 'mpegts']),
  },
  {
    name: 'intra-refresh.ts',
    property: 'x264 periodic intra refresh (as live encoders): one IDR at the start, then a recovery point every 1 s that the TS flags random-access but ffmpeg\'s decoder does not call a keyframe; MPEG-TS',
    recipe: 'v1',
    make: encodeTo([...source(6), ...x264('intra-refresh=1:keyint=25:min-keyint=25:scenecut=0:bframes=0'), '-f', 'mpegts']),
  },
  {
    name: 'intra-refresh.mp4',
    property: 'the same x264 intra refresh in MP4: the sample table marks every recovery point (1 s) as a sync sample, ffmpeg\'s decoder only the first frame as key',
    recipe: 'v1',
    make: encodeTo([...source(6), ...x264('intra-refresh=1:keyint=25:min-keyint=25:scenecut=0:bframes=0')]),
  },
  {
    name: 'no-duration.mkv',
    property: 'Matroska written to a pipe (as live recorders and MediaRecorder write): no Duration in the header, no Cues; H.264, keyframe every 1 s',
    recipe: 'v1',
    make: (ffmpeg, _ffprobe, output) => encodeToPipe(ffmpeg, [...source(5), ...x264('keyint=25:min-keyint=25:bframes=2'), '-f', 'matroska'], output),
  },
  {
    name: 'no-duration.webm',
    property: 'WebM (VP9) written to a pipe: no Duration in the header, no Cues; keyframe every 1 s',
    recipe: 'v1',
    make: (ffmpeg, _ffprobe, output) => encodeToPipe(ffmpeg, [...source(5), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'webm'], output),
  },
  {
    name: 'vfr-gaps.mp4',
    property: 'variable frame rate with gaps of 1.4 s and 1.5 s, and its last frame (7.16 s) long before the track\'s declared duration (8.73 s), as phone recordings end',
    recipe: 'v1',
    make: async (ffmpeg, ffprobe, output) => {
      // Frames 0–2 s, 3.4–5 s, 6.5–6.6 s and one lone frame at 7.16 s, their own timestamps kept.
      await encode(ffmpeg, [...source(8), '-vf', "select='lt(t,2)+between(t,3.4,5)+between(t,6.5,6.6)+between(t,7.15,7.17)'", '-vsync', 'vfr', ...x264('keyint=25:bframes=0')], output);
      await lengthenLastSample(output, 8.73);
      const probe = await probeVideo(ffprobe, output);
      if (!(probe.duration > 8.7)) throw new Error(`vfr-gaps.mp4: declared duration ${probe.duration}, not 8.73 s`);
    },
  },
  {
    name: 'hevc-hls.ts',
    property: 'HEVC in MPEG-TS, an HLS segment: the fourth 5 s segment ffmpeg\'s hls muxer cut from a 21 s MP4 by stream copy, presentation times from 16.77 s, an IDR first, B-frames (x265 closed GOPs of 1 s)',
    recipe: 'v2',
    make: async (ffmpeg, ffprobe, output) => {
      const dir = path.dirname(output);
      const mp4 = path.join(dir, 'hevc-source.mp4');
      await encode(ffmpeg, [...source(21), '-c:v', 'libx265', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-x265-params', 'keyint=25:min-keyint=25:bframes=3:open-gop=0:log-level=error', '-tag:v', 'hvc1'], mp4);
      await encode(ffmpeg, ['-i', mp4, '-c', 'copy', '-output_ts_offset', '0.37', '-f', 'hls', '-hls_time', '5', '-hls_list_size', '0', '-hls_segment_filename', path.join(dir, 'segment%d.ts')], path.join(dir, 'index.m3u8'));
      await rename(path.join(dir, 'segment3.ts'), output);
      const probe = await probeVideo(ffprobe, output);
      if (Math.abs(probe.startTime - 16.77) > 0.05) throw new Error(`hevc-hls.ts starts at ${probe.startTime}, not 16.77 s`);
    },
  },
  {
    name: 'no-rai.ts',
    property: 'H.264 MPEG-TS (keyframe every 1 s) whose adaptation fields carry no random-access flag: the bits are cleared in the file',
    recipe: 'v1',
    make: async (ffmpeg, _ffprobe, output) => {
      await encode(ffmpeg, [...source(6), ...x264('keyint=25:min-keyint=25:bframes=2'), '-f', 'mpegts'], output);
      const bytes = await readFile(output);
      const cleared = clearRandomAccessFlags(bytes);
      if (cleared === 0) throw new Error('no-rai.ts: ffmpeg wrote no random-access flag to clear');
      await writeFile(output, bytes);
    },
  },
  {
    name: 'truncated.mp4',
    property: 'H.264 MP4, moov first (faststart), cut at 60 % of its bytes: the index lists frames whose data is gone',
    recipe: 'v1',
    damagedEnd: true,
    make: async (ffmpeg, _ffprobe, output) => {
      await encode(ffmpeg, [...source(6), ...x264('keyint=25:min-keyint=25:bframes=2'), '-movflags', '+faststart'], output);
      await cutTo(output, 0.6, 1);
    },
  },
  {
    name: 'truncated.ts',
    property: 'H.264 MPEG-TS cut at 60 % of its bytes, in the middle of a packet (an interrupted download)',
    recipe: 'v1',
    damagedEnd: true,
    make: async (ffmpeg, _ffprobe, output) => {
      await encode(ffmpeg, [...source(6), ...x264('keyint=25:min-keyint=25:bframes=2'), '-f', 'mpegts'], output);
      await cutTo(output, 0.6, 1);
    },
  },
  {
    name: 'mid-gop.ts',
    property: 'H.264 MPEG-TS (keyframe every 2 s) whose first 10 frames in decode order are cut away at a packet boundary: it starts mid-GOP, the first picture ffmpeg can show is the keyframe at 2 s',
    recipe: 'v1',
    make: async (ffmpeg, _ffprobe, output) => {
      await encode(ffmpeg, [...source(6), ...x264('keyint=50:min-keyint=50:scenecut=0:bframes=2'), '-f', 'mpegts'], output);
      const bytes = await readFile(output);
      await writeFile(output, bytes.subarray(videoPesStart(bytes, 10)));
    },
  },
  {
    name: 'bad-sync.ts',
    property: 'H.264 MPEG-TS (keyframe every 1 s) with the sync byte of one packet, in the middle of the file, overwritten',
    recipe: 'v1',
    make: async (ffmpeg, _ffprobe, output) => {
      await encode(ffmpeg, [...source(6), ...x264('keyint=25:min-keyint=25:bframes=2'), '-f', 'mpegts'], output);
      const bytes = await readFile(output);
      const packet = Math.floor(bytes.length / TS_PACKET / 2);
      bytes[packet * TS_PACKET] = 0x00;
      await writeFile(output, bytes);
    },
  },
  {
    name: 'joined.ts',
    property: 'two different MPEG-TS files joined with cat: testsrc2 from 1.4 s to 6.4 s, then testsrc (another picture) from 21.4 s; the clock jumps 15 s and the continuity counters restart',
    recipe: 'v1',
    make: async (ffmpeg, _ffprobe, output) => {
      const second = `${output}.part2.ts`;
      await encode(ffmpeg, [...source(5), ...x264('keyint=25:min-keyint=25:bframes=2'), '-f', 'mpegts'], output);
      await encode(ffmpeg, ['-f', 'lavfi', '-i', `testsrc=size=${SIZE}:rate=25:duration=4`, ...x264('keyint=25:min-keyint=25:bframes=2'), '-output_ts_offset', '20', '-f', 'mpegts'], second);
      await writeFile(output, Buffer.concat([await readFile(output), await readFile(second)]));
      await rm(second);
    },
  },
  {
    name: 'joined-back.ts',
    property: 'two different MPEG-TS files, each starting at 1.4 s, joined with cat (how two recordings are usually joined): the clock goes back 5 s at the join',
    recipe: 'v1',
    make: async (ffmpeg, _ffprobe, output) => {
      const second = `${output}.part2.ts`;
      await encode(ffmpeg, [...source(5), ...x264('keyint=25:min-keyint=25:bframes=2'), '-f', 'mpegts'], output);
      await encode(ffmpeg, ['-f', 'lavfi', '-i', `testsrc=size=${SIZE}:rate=25:duration=4`, ...x264('keyint=25:min-keyint=25:bframes=2'), '-f', 'mpegts'], second);
      await writeFile(output, Buffer.concat([await readFile(output), await readFile(second)]));
      await rm(second);
    },
  },
];

export const CORPUS: readonly CorpusFile[] = RECIPES.map(({ name, property, damagedEnd }) => ({ name, property, ...(damagedEnd ? { damagedEnd } : {}) }));

const cacheDir = path.join(os.tmpdir(), 'framescore-corpus-media');

/** Makes (or finds in the cache) every corpus file; returns their paths in CORPUS order. */
export async function corpusFiles(): Promise<string[]> {
  const { ffmpeg, ffprobe } = resolveBinaries();
  await mkdir(cacheDir, { recursive: true });
  const files: string[] = [];
  for (const recipe of RECIPES) {
    const hash = createHash('sha256').update(`${ffmpeg} ${recipe.name} ${recipe.recipe} ${recipe.make.toString()}`).digest('hex').slice(0, 10);
    const dir = path.join(cacheDir, hash);
    const file = path.join(dir, recipe.name);
    if (!(await stat(file).then((info) => info.size > 0, () => false))) {
      const temp = path.join(dir, `tmp-${process.pid}`, recipe.name);
      await mkdir(path.dirname(temp), { recursive: true });
      await recipe.make(ffmpeg, ffprobe, temp);
      await rename(temp, file);
      await rm(path.dirname(temp), { recursive: true, force: true });
    }
    files.push(file);
  }
  return files;
}

async function encode(ffmpeg: string, args: string[], output: string): Promise<void> {
  await runProcess(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args, output], { timeoutMs: 300_000 });
}

/** ffmpeg writing to a pipe cannot seek back to fill in the duration or the index. */
async function encodeToPipe(ffmpeg: string, args: string[], output: string): Promise<void> {
  const { stdout } = await runProcess(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args, 'pipe:1'], { timeoutMs: 300_000 });
  await writeFile(output, stdout);
}

export async function probeVideo(ffprobe: string, file: string): Promise<{ startTime: number; duration: number; fileStartTime: number }> {
  const { stdout } = await runProcess(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=start_time,duration:format=start_time,duration', '-of', 'json', file], { timeoutMs: 60_000 });
  const json = JSON.parse(stdout.toString()) as { streams?: Array<Record<string, string>>; format?: Record<string, string> };
  const stream = json.streams?.[0] ?? {};
  const pick = (key: string): number => Number(stream[key] ?? json.format?.[key] ?? Number.NaN);
  return { startTime: pick('start_time'), duration: pick('duration'), fileStartTime: Number(json.format?.start_time ?? Number.NaN) };
}

async function cutTo(file: string, fraction: number, plus: number): Promise<void> {
  const bytes = await readFile(file);
  await writeFile(file, bytes.subarray(0, Math.floor(bytes.length * fraction) + plus));
}

const TS_PACKET = 188;
/** The PID ffmpeg's MPEG-TS muxer gives the first stream. */
const VIDEO_PID = 0x100;

/** Clears the random_access_indicator of every packet's adaptation field; returns how many were set. */
function clearRandomAccessFlags(bytes: Buffer): number {
  let cleared = 0;
  for (let at = 0; at + TS_PACKET <= bytes.length; at += TS_PACKET) {
    if (bytes[at] !== 0x47) throw new Error(`not an MPEG-TS packet at byte ${at}`);
    const hasAdaptation = (bytes[at + 3]! & 0x20) !== 0;
    if (!hasAdaptation || bytes[at + 4] === 0) continue;
    if ((bytes[at + 5]! & 0x40) !== 0) cleared += 1;
    bytes[at + 5] = bytes[at + 5]! & ~0x40;
  }
  return cleared;
}

/** The byte offset of the packet that starts the video's `n`th PES (0-based, decode order). */
function videoPesStart(bytes: Buffer, n: number): number {
  let seen = 0;
  for (let at = 0; at + TS_PACKET <= bytes.length; at += TS_PACKET) {
    const pid = ((bytes[at + 1]! & 0x1f) << 8) | bytes[at + 2]!;
    const unitStart = (bytes[at + 1]! & 0x40) !== 0;
    if (pid !== VIDEO_PID || !unitStart) continue;
    if (seen === n) return at;
    seen += 1;
  }
  throw new Error(`the video has fewer than ${n + 1} PES packets`);
}

/**
 * Makes the last sample of a one-track MP4 (moov after mdat, as ffmpeg writes it
 * without faststart) last until `duration` seconds: its stts delta and the mdhd, tkhd,
 * mvhd and elst durations grow by the same amount, as a camera's file whose last frame
 * stays on screen. ffmpeg 4.1 cannot write such a file, and ffprobe computes a track's
 * duration from its samples, so only the sample table can declare it.
 */
async function lengthenLastSample(file: string, duration: number): Promise<void> {
  const bytes = await readFile(file);
  const box = (type: string): number => {
    const at = bytes.indexOf(type, 0, 'latin1');
    if (at < 0 || bytes.indexOf(type, at + 4, 'latin1') >= 0) throw new Error(`${file}: expected one ${type} box`);
    return at; // offset of the type; the box's fields follow it
  };
  const mvhd = box('mvhd');
  const tkhd = box('tkhd');
  const mdhd = box('mdhd');
  const stts = box('stts');
  for (const at of [mvhd, tkhd, mdhd, stts]) if (bytes[at + 4] !== 0) throw new Error(`${file}: a version-1 box`);
  const movieScale = bytes.readUInt32BE(mvhd + 16);
  const mediaScale = bytes.readUInt32BE(mdhd + 16);
  const mediaDuration = bytes.readUInt32BE(mdhd + 20);
  const extra = Math.round(duration * mediaScale) - mediaDuration;
  if (extra <= 0) throw new Error(`${file}: already ${mediaDuration / mediaScale} s long`);
  const entries = bytes.readUInt32BE(stts + 8);
  const last = stts + 12 + (entries - 1) * 8;
  // The last frame comes alone after a gap, so its delta is an entry of its own.
  if (bytes.readUInt32BE(last) !== 1) throw new Error(`${file}: the last stts entry covers ${bytes.readUInt32BE(last)} samples`);
  bytes.writeUInt32BE(bytes.readUInt32BE(last + 4) + extra, last + 4);
  bytes.writeUInt32BE(mediaDuration + extra, mdhd + 20);
  const movieExtra = Math.round((extra / mediaScale) * movieScale);
  bytes.writeUInt32BE(bytes.readUInt32BE(mvhd + 20) + movieExtra, mvhd + 20);
  bytes.writeUInt32BE(bytes.readUInt32BE(tkhd + 24) + movieExtra, tkhd + 24);
  const elst = bytes.indexOf('elst', 0, 'latin1');
  if (elst >= 0) {
    if (bytes[elst + 4] !== 0 || bytes.readUInt32BE(elst + 8) !== 1) throw new Error(`${file}: an edit list of other than one version-0 entry`);
    bytes.writeUInt32BE(bytes.readUInt32BE(elst + 12) + movieExtra, elst + 12);
  }
  await writeFile(file, bytes);
}

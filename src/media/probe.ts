import { stat, access, constants } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { isRecord } from '../core/model-manifest.js';
import type { VideoFacts } from '../core/report.js';
import { SubprocessError } from './errors.js';
import { runProcess } from './process.js';
import { readJumpedMpegTsIndex, readMpegTsLastPts } from './mpeg-ts/mpeg-ts-index.js';
import { openByteSource, type ByteSource } from './source/byte-source.js';
import { toolInput } from './tool-input.js';

/** What ffprobe found; the report's video facts are these minus the start time. */
export interface MediaInfo extends VideoFacts {
  /** Presentation time of the first frame; frame times in reports are relative to it. */
  readonly startTime: number;
  /**
   * Time of the last frame shown, from the start (a packet scan of the stream's end);
   * undefined when the scan found none. A VFR file's last frame may sit long before its duration.
   */
  readonly lastFrameTime?: number | undefined;
  /**
   * An MPEG-TS whose clock jumps (files joined with `cat`): duration and times are on
   * ffmpeg's continuous timeline (see mpeg-ts/ts-timeline.ts), not the file's clock.
   */
  readonly clockJumps?: boolean | undefined;
  /** An MPEG-TS whose spread probes were read and saw no jump (the function need not read them again). */
  readonly clockContinuous?: boolean | undefined;
}

const STILL_FORMATS = /(^|,)(image2|png_pipe|jpeg_pipe|webp_pipe|bmp_pipe|tiff_pipe|gif)(,|$)/;

/** Checks a local path before ffprobe sees it, so the message names the real problem. */
export async function checkLocalFile(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read video "${file}": ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
  }
  if (info.isDirectory()) throw new InputError(`cannot read video "${file}": it is a directory`);
  if (!info.isFile()) throw new InputError(`cannot read video "${file}": not a regular file`);
  try {
    await access(file, constants.R_OK);
  } catch {
    throw new InputError(`cannot read video "${file}": permission denied`);
  }
  if (info.size === 0) throw new InputError(`cannot read video "${file}": the file is empty (0 bytes)`);
  return info.size;
}

/** Probes a media file or URL with ffprobe. `input` is what ffprobe opens; `source` is what messages show. */
export async function probeMedia(ffprobe: string, input: string, source: string, options: { timeoutMs?: number; sizeBytes?: number } = {}): Promise<MediaInfo> {
  const stdout = await runProbe(ffprobe, ['-show_format', '-show_streams'], input, source, options.timeoutMs);
  const json: unknown = JSON.parse(stdout.toString('utf8'));
  if (!isRecord(json) || !isRecord(json.format)) throw new InputError(`cannot read video "${source}": ffprobe found no container`);
  const streams = Array.isArray(json.streams) ? json.streams.filter(isRecord) : [];
  const video = streams.find((stream) => stream.codec_type === 'video' && !isAttachedPicture(stream));
  if (video === undefined) {
    const kinds = [...new Set(streams.map((stream) => String(stream.codec_type)))];
    throw new InputError(`cannot read video "${source}": no video stream${kinds.length ? ` (only ${kinds.join(', ')})` : ''}`);
  }
  const container = String(json.format.format_name ?? 'unknown');
  const stillImage = STILL_FORMATS.test(container);
  const rotation = readRotation(video);
  const codedWidth = Number(video.width ?? 0);
  const codedHeight = Number(video.height ?? 0);
  const quarterTurn = Math.abs(rotation) % 180 === 90;
  // The video stream's own length first: an MP4's format duration also counts an empty
  // edit before the first frame (a start offset), which would plan frames past the end.
  const headerDuration = stillImage ? 0 : firstNumber(video.duration, json.format.duration);
  const startTime = stillImage ? 0 : firstNumber(video.start_time, json.format.start_time);
  const mpegTs = /(^|,)mpegts(,|$)/.test(container);
  // No duration in the header (a live recorder's Matroska/WebM): the packets say it.
  // Otherwise the stream's end is scanned for its last frame (VFR files may end early):
  // an MPEG-TS's by our own packet walk over its last frames, since ffprobe's seek to the
  // last 5 s reads them all (3.75 MB at 6 Mbit/s, most of the probe's reads over S3).
  const tsLast = mpegTs && headerDuration > 0 ? await mpegTsLastPts(input, startTime, headerDuration, options.sizeBytes) : undefined;
  const scan = stillImage ? undefined : tsLast !== undefined ? { lastPts: tsLast, end: tsLast } : await scanPackets(ffprobe, input, source, headerDuration > 0 ? startTime + headerDuration - TAIL_SECONDS : undefined, options.timeoutMs);
  const scannedEnd = scan === undefined ? 0 : scan.end - startTime;
  let duration = headerDuration > 0 ? headerDuration : scannedEnd;
  let lastFrameTime = scan === undefined ? undefined : Math.max(0, Math.min(scan.lastPts - startTime, duration));
  const frameRate = parseRate(video.avg_frame_rate) || parseRate(video.r_frame_rate);
  // ffprobe reads a joined MPEG-TS's clock, whose span is not what a full decode shows.
  const timeline = mpegTs ? await continuousTimeline(input, startTime, frameRate, options.sizeBytes) : undefined;
  const continuous = timeline === 'continuous' ? undefined : timeline;
  if (continuous !== undefined) ({ duration, lastFrameTime } = continuous);
  if (!stillImage && !(duration > 0)) throw new InputError(`cannot read video "${source}": its duration is unknown and no frame was found in it (not a video?)`);
  return {
    source,
    container,
    codec: String(video.codec_name ?? 'unknown'),
    duration,
    frameRate,
    width: quarterTurn ? codedHeight : codedWidth,
    height: quarterTurn ? codedWidth : codedHeight,
    rotation,
    startTime,
    lastFrameTime,
    ...(continuous !== undefined ? { clockJumps: true } : {}),
    ...(timeline === 'continuous' ? { clockContinuous: true } : {}),
    stillImage,
    sizeBytes: options.sizeBytes ?? (json.format.size !== undefined ? Number(json.format.size) : undefined),
  };
}

/**
 * The length and last frame of an MPEG-TS whose clock jumps, on ffmpeg's continuous
 * timeline (from the TS index, which reads the whole file only when spread probes see a
 * jump); 'continuous' when those probes saw none; undefined when it cannot be read that way.
 */
async function continuousTimeline(input: string, startTime: number, frameRate: number, sizeBytes?: number): Promise<{ duration: number; lastFrameTime: number } | 'continuous' | undefined> {
  return withSource(input, sizeBytes, async (source) => {
    const index = await readJumpedMpegTsIndex(source);
    if (index === 'continuous') return index;
    if (index === undefined || index.sampleCount === 0) return undefined;
    const last = index.times[index.shown[index.shown.length - 1]!]! - startTime;
    return { duration: last + (frameRate > 0 ? 1 / frameRate : 0), lastFrameTime: Math.max(0, last) };
  });
}

/** `read` over the input's bytes, closed after; undefined when the input cannot be opened or read (ffprobe's answer stands then). */
async function withSource<T>(input: string, sizeBytes: number | undefined, read: (source: ByteSource) => Promise<T | undefined>): Promise<T | undefined> {
  let source;
  try {
    source = await openByteSource(input, sizeBytes);
  } catch {
    return undefined;
  }
  try {
    return await read(source);
  } catch {
    return undefined;
  } finally {
    await source.close();
  }
}

/**
 * The last frame's time in an MPEG-TS (mpeg-ts-index.ts's tail walk); undefined when the walk
 * cannot tell or its answer lies outside the header's span (a PTS that wraps, which ffmpeg
 * unwraps): then ffprobe's packet scan decides.
 */
async function mpegTsLastPts(input: string, startTime: number, duration: number, sizeBytes?: number): Promise<number | undefined> {
  return withSource(input, sizeBytes, async (source) => {
    const last = await readMpegTsLastPts(source);
    return last !== undefined && last >= startTime && last <= startTime + duration ? last : undefined;
  });
}

/** How far before the header's end the scan for the last frame starts. */
const TAIL_SECONDS = 5;

async function runProbe(ffprobe: string, args: readonly string[], input: string, source: string, timeoutMs = 60_000): Promise<Buffer> {
  const remote = /^https?:\/\//i.test(input);
  try {
    const { stdout } = await runProcess(ffprobe, ['-v', 'error', '-print_format', args.includes('-show_format') ? 'json' : 'csv=p=0', ...args, ...(remote ? ['-reconnect', '1'] : []), toolInput(input)], { timeoutMs });
    return stdout;
  } catch (error) {
    if (error instanceof SubprocessError) {
      const detail = error.timedOut ? 'ffprobe timed out' : cleanReason(error.lastLine.split(toolInput(input)).join(input), input);
      throw new InputError(`cannot read video "${source}": ${detail}`, { cause: error });
    }
    throw error;
  }
}

/**
 * The video packets' last presentation time and end (pts + duration), from `from`
 * (an absolute time; the whole stream when undefined). Reads packets, decodes nothing.
 * A failed or empty scan of the tail is no reason to refuse a file the header describes.
 */
async function scanPackets(ffprobe: string, input: string, source: string, from: number | undefined, timeoutMs?: number): Promise<{ lastPts: number; end: number } | undefined> {
  const interval = from === undefined ? [] : ['-read_intervals', `${Math.max(0, from).toFixed(6)}%+${SCAN_SPAN_SECONDS}`];
  let stdout: Buffer;
  try {
    stdout = await runProbe(ffprobe, ['-select_streams', 'v:0', ...interval, '-show_entries', 'packet=pts_time,duration_time'], input, source, timeoutMs);
  } catch (error) {
    if (from !== undefined && error instanceof InputError) return undefined;
    throw error;
  }
  let lastPts = -Infinity;
  let end = -Infinity;
  for (const line of stdout.toString('utf8').split('\n')) {
    const [ptsText, durationText] = line.split(',');
    const pts = Number(ptsText);
    if (ptsText === undefined || ptsText === '' || !Number.isFinite(pts)) continue;
    const length = Number(durationText);
    lastPts = Math.max(lastPts, pts);
    end = Math.max(end, pts + (Number.isFinite(length) ? length : 0));
  }
  return Number.isFinite(lastPts) ? { lastPts, end } : undefined;
}

/** ffprobe's open-ended interval ("T%") reads nothing in the 2023 build: a long span instead. */
const SCAN_SPAN_SECONDS = 1_000_000;

function isAttachedPicture(stream: Record<string, unknown>): boolean {
  return isRecord(stream.disposition) && stream.disposition.attached_pic === 1;
}

function readRotation(stream: Record<string, unknown>): number {
  const sideData = Array.isArray(stream.side_data_list) ? stream.side_data_list : [];
  for (const entry of sideData) {
    if (isRecord(entry) && typeof entry.rotation === 'number') return normaliseDegrees(-entry.rotation);
  }
  const tags = isRecord(stream.tags) ? stream.tags : {};
  return tags.rotate !== undefined ? normaliseDegrees(Number(tags.rotate)) : 0;
}

function normaliseDegrees(degrees: number): number {
  return ((Math.round(degrees) % 360) + 360) % 360;
}

function parseRate(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const [num, den] = value.split('/').map(Number);
  if (!num || !den) return 0;
  return num / den;
}

function firstNumber(...values: unknown[]): number {
  for (const value of values) {
    const n = Number(value);
    if (value !== undefined && Number.isFinite(n)) return n;
  }
  return 0;
}

/** ffprobe's last line repeats the input path (which may be a presigned URL); keep only the reason. */
function cleanReason(line: string, input: string): string {
  const reason = line.replace(input, '').replace(/^:\s*/, '').trim();
  if (/Invalid data found/i.test(reason)) return 'not a video (ffprobe: invalid data found when processing input)';
  if (/moov atom not found/i.test(reason)) return 'not a complete video (moov atom not found: truncated or still being written?)';
  return reason ? `ffprobe: ${reason}` : 'ffprobe could not read it';
}

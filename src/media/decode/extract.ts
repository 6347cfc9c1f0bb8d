/**
 * The per-frame seek: one ffmpeg per frame, for inputs no demuxer indexes (AVI, Ogg, …)
 * and as the fallback of every other path. A fast input seek first; a preroll where that
 * lands late, a walk back from an earlier point where the seek finds no frame (streams
 * whose keyframes carry no flag); the frame's time read from showinfo. Longer than
 * ~250 lines because the seek, its two recoveries and the argument building that both
 * the seek and the decoder lanes use are one piece: split, each would need the others'
 * per-file memo (which inputs need a preroll or a walk back).
 */
import { isEncoded, type FrameImage } from '../../core/image-decode.js';
import type { FitMode } from '../../core/preprocess.js';
import { SubprocessError } from '../errors.js';
import { DecodeDamage, DECODE_DAMAGE_ARGS } from './decode-damage.js';
import { frameOutputArgs, frameSplitter, type FrameFormat } from './frame-output.js';
import { runProcess } from '../process.js';
import { toolInput } from '../tool-input.js';

export interface ExtractOptions {
  readonly ffmpeg: string;
  /** What ffmpeg opens: a path or a (presigned) URL. */
  readonly input: string;
  readonly width: number;
  readonly height: number;
  readonly fit: FitMode;
  /** How the frame leaves ffmpeg (default lossless: raw RGB). */
  readonly frameFormat?: FrameFormat | undefined;
  /** Decode keyframes only: the frame is the keyframe at or before the time. */
  readonly keyframes: boolean;
  /** The stream's first presentation time; actual times are reported relative to it. */
  readonly startTime: number;
  readonly stillImage: boolean;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * A decoded frame this much later than asked for means the seek skipped a corrupt
   * or missing stretch: the frame fails (SEEK_MISSED) rather than being reported at
   * a time it does not belong to. Default 1 s.
   */
  readonly maxLateSeconds?: number | undefined;
  /**
   * Seek with the long preroll from the first frame: set for HEVC in MPEG-TS, where ffmpeg's
   * seek lands on pictures that need references from before it and the decoder conceals them.
   */
  readonly seekEarly?: boolean | undefined;
  /**
   * Keyframes mode walking back: decode every keyframe from this time (seconds from the
   * start) and keep the last one at or before the time asked for.
   */
  readonly lastKeyframeFrom?: number | undefined;
}

export interface ExtractedFrame {
  /** At the model's size; a still image is a PNG at its own size (scaled by the classifier). */
  readonly image: FrameImage;
  /** Presentation time of the decoded frame, seconds from the start of the video. */
  readonly actualTime: number;
}

/** A frame could not be decoded at the requested time; the run goes on without it. */
export class FrameExtractError extends Error {
  override name = 'FrameExtractError';
  readonly code: 'NO_FRAME' | 'DECODE_FAILED' | 'TIMEOUT' | 'SEEK_MISSED';
  constructor(code: FrameExtractError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export function scaleFilter(width: number, height: number, fit: FitMode): string {
  return fit === 'crop'
    ? `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1`
    : `scale=${width}:${height},setsar=1`;
}

/**
 * ffmpeg arguments that decode one frame at `time`, scaled to the model input, on
 * stdout (raw RGB, or a JPEG). A still image is not scaled: it leaves as a PNG at its
 * own size, so the classifier fits it exactly as it fits a JPEG/PNG file. Exact mode seeks `preroll` seconds early and lets a select filter
 * pass the first frame at or after the time: containers without an index (MPEG-TS)
 * land after the target when seeking, and accurate seek cannot go back.
 */
export function extractArgs(time: number, options: Omit<ExtractOptions, 'ffmpeg' | 'timeoutMs' | 'signal' | 'maxLateSeconds'>, preroll = 0): string[] {
  const target = options.startTime + time;
  if (options.keyframes && options.lastKeyframeFrom !== undefined) return lastKeyframeArgs(target, options.lastKeyframeFrom, options);
  const seekTo = Math.max(0, time - preroll - SEEK_MARGIN_SECONDS);
  const seek = options.stillImage
    ? []
    : options.keyframes
      ? ['-skip_frame', 'nokey', '-ss', time.toFixed(6), '-noaccurate_seek', '-copyts']
      // -ss is relative to the file's start; -copyts keeps the stream's own timestamps
      // so the select filter and showinfo see the real presentation times.
      // Seeking a little early: ffmpeg picks the keyframe by decode time, so asking for a
      // frame just before a keyframe of a B-frame stream would land on that keyframe.
      // (From the very start: no seek at all, the decode a full pass makes.)
      : [...(seekTo > 0 ? ['-ss', seekTo.toFixed(6)] : []), '-copyts'];
  const select = options.stillImage || options.keyframes ? '' : `select='gte(t,${(target - 0.0005).toFixed(6)})',`;
  return [
    ...videoInputArgs(options.input, seek),
    '-frames:v', '1',
    ...(options.stillImage
      ? ['-vf', 'showinfo', '-f', 'image2pipe', '-c:v', 'png', '-pix_fmt', 'rgb24']
      : ['-vf', `${select}showinfo,${scaleFilter(options.width, options.height, options.fit)}`, ...frameOutputArgs(options.frameFormat ?? 'lossless')]),
    '-threads', '1',
    'pipe:1',
  ];
}

/** Every keyframe from `from` up to `target` (absolute), scaled: the caller keeps the last. */
function lastKeyframeArgs(target: number, from: number, options: Omit<ExtractOptions, 'ffmpeg' | 'timeoutMs' | 'signal' | 'maxLateSeconds'>): string[] {
  const seek = [...DECODE_DAMAGE_ARGS, '-skip_frame', 'nokey', ...(from > 0 ? ['-ss', from.toFixed(6), '-noaccurate_seek'] : []), '-copyts'];
  return [
    ...videoInputArgs(options.input, seek),
    // trim, not select: its end closes the graph, so ffmpeg stops reading there.
    // select=key too: some decoders (VP9) decode every frame whatever skip_frame says.
    '-vf', `select=key,trim=end=${(target + 0.0005).toFixed(6)},showinfo,${scaleFilter(options.width, options.height, options.fit)}`,
    ...frameOutputArgs(options.frameFormat ?? 'lossless'),
    '-threads', '1',
    'pipe:1',
  ];
}

/** ffmpeg's arguments up to the filters: one decoder thread, the seek, the input, its first video stream only. */
export function videoInputArgs(input: string, seek: readonly string[]): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'info',
    // One decoder thread per process (an input option: after -i it would only set the
    // encoder's): framescore runs one process per core instead, which measured faster
    // than frame-threaded decoding that decodes ahead of the one frame we want.
    '-threads', '1',
    ...seek,
    // Remote inputs may answer a range in parts (the S3 relay sends a block at a time): ask for the rest.
    ...(/^https?:\/\//i.test(input) ? ['-reconnect', '1'] : []),
    '-i', toolInput(input),
    '-map', '0:v:0', '-an', '-sn', '-dn',
  ];
}

const DEFAULT_MAX_LATE_SECONDS = 1;
const SEEK_MARGIN_SECONDS = 0.25;
/** How far back to seek when a container's seek lands late (MPEG-TS and other unindexed streams). */
const PREROLL_SECONDS = 5;
/** Inputs whose seeks have landed late once: later frames seek early from the start. */
const needsPreroll = new Set<string>();
const RETRY_LATE_SECONDS = 0.1;
/** How far before the time a walk back first starts decoding. */
const WALK_BACK_SECONDS = 30;
/** Inputs whose fast seeks found nothing once: later frames decode from the start. */
const walksBack = new Set<string>();
const SHOWINFO_PTS = /Parsed_showinfo.*\bpts_time:\s*(-?[\d.]+)/;

/**
 * Decodes the frame at `time` seconds (relative to the video's start): the picture a full
 * decode shows first at or after it; with `keyframes`, the last keyframe at or before it.
 * A fast seek that finds nothing (a stream whose only keyframe is at its start, intra
 * refresh) or lands late walks back: it decodes again from WALK_BACK_SECONDS earlier,
 * then from the start, and takes what that decode shows.
 */
export async function extractFrame(time: number, options: ExtractOptions): Promise<ExtractedFrame> {
  if (options.stillImage) return decodeOnce(time, options, 0);
  if (time > 0 && walksBack.has(walkBackKey(options))) return walkBack(time, options, undefined);
  let frame: ExtractedFrame;
  try {
    frame = await fastSeek(time, options);
  } catch (error) {
    if (!(error instanceof FrameExtractError) || error.code !== 'NO_FRAME' || time <= 0) throw error;
    return walkBack(time, options, error);
  }
  const late = lateFrameError(time, frame.actualTime, options.keyframes, options.maxLateSeconds ?? DEFAULT_MAX_LATE_SECONDS);
  return late ? walkBack(time, options, late) : frame;
}

async function fastSeek(time: number, options: ExtractOptions): Promise<ExtractedFrame> {
  // Keyframes: every keyframe from where the container's seek lands up to the time, the last
  // one kept; a seek that lands after the time (MPEG-TS) finds none and walks back.
  if (options.keyframes) return decodeOnce(time, { ...options, lastKeyframeFrom: time }, 0);
  const preroll = (options.seekEarly === true || needsPreroll.has(options.input)) ? PREROLL_SECONDS : 0;
  const frame = await decodeOnce(time, options, preroll);
  // A correct exact seek lands at most one frame late; more means the demuxer overshot.
  // (Decided by this attempt's preroll: a concurrent frame may have set needsPreroll meanwhile.)
  if (preroll === 0 && frame.actualTime - time > RETRY_LATE_SECONDS && time > 0) {
    needsPreroll.add(options.input);
    return decodeOnce(time, options, PREROLL_SECONDS);
  }
  return frame;
}

/**
 * Decodes from earlier than the fast seek did: WALK_BACK_SECONDS before the time, then
 * from the start when that finds nothing. What it finds is what a full decode shows, so a
 * frame after a long gap is the answer. `failure` is the fast seek's, thrown when the
 * walk back finds nothing either (ffmpeg cannot decode that stretch at all).
 */
async function walkBack(time: number, options: ExtractOptions, failure: FrameExtractError | undefined): Promise<ExtractedFrame> {
  const from = time - WALK_BACK_SECONDS;
  for (const start of from > 0 ? [from, 0] : [0]) {
    try {
      const frame = await decodeFrom(time, start, options);
      // Only a walk back to the start that found what the fast seek could not is remembered:
      // this input's later frames go there directly instead of failing a fast seek first.
      if (start === 0 && failure?.code === 'NO_FRAME') walksBack.add(walkBackKey(options));
      return frame;
    } catch (error) {
      if (!(error instanceof FrameExtractError) || error.code !== 'NO_FRAME') throw error;
    }
  }
  throw failure ?? new FrameExtractError('NO_FRAME', `no frame could be decoded at ${time.toFixed(3)} s (corrupt or truncated stretch?)`);
}

/** Exact and keyframe seeks fail in different places: remembered apart. */
function walkBackKey(options: ExtractOptions): string {
  return `${options.keyframes ? 'key' : 'exact'}:${options.input}`;
}

async function decodeFrom(time: number, start: number, options: ExtractOptions): Promise<ExtractedFrame> {
  if (!options.keyframes) return decodeOnce(time, options, time - start - SEEK_MARGIN_SECONDS);
  // The last keyframe at or before the time: every keyframe from `start` up to it passes the
  // select; the last one out is the answer (keyframes are few where a fast seek fails).
  return decodeOnce(time, { ...options, lastKeyframeFrom: start }, 0);
}

/**
 * A frame much later than asked for sits past a corrupt or missing stretch: it fails
 * rather than being reported at a time it does not belong to. Keyframe mode lands on
 * a nearby keyframe by design; only a gap of many seconds means damage there.
 */
export function lateFrameError(time: number, actualTime: number, keyframes: boolean, maxLate = DEFAULT_MAX_LATE_SECONDS): FrameExtractError | undefined {
  if (actualTime - time <= (keyframes ? Math.max(maxLate, 10) : maxLate)) return undefined;
  return new FrameExtractError('SEEK_MISSED', `asked for ${time.toFixed(3)} s but the first decodable frame is at ${actualTime.toFixed(3)} s (corrupt or missing stretch?)`);
}

async function decodeOnce(time: number, options: ExtractOptions, preroll: number): Promise<ExtractedFrame> {
  // Walking back in keyframes mode, several frames come out and the last one is the answer.
  const keepLast = options.keyframes && options.lastKeyframeFrom !== undefined;
  let firstPts: number | undefined;
  const damage = keepLast ? new DecodeDamage() : undefined;
  const onStderrLine = (line: string): void => {
    damage?.line(line);
    if (firstPts !== undefined && !keepLast) return;
    const match = SHOWINFO_PTS.exec(line);
    if (match) firstPts = Number(match[1]);
  };
  let stdout: Buffer;
  try {
    ({ stdout } = await runProcess(options.ffmpeg, extractArgs(time, options, preroll), { timeoutMs: options.timeoutMs, signal: options.signal, onStderrLine }));
  } catch (error) {
    if (error instanceof SubprocessError) {
      if (error.timedOut) throw new FrameExtractError('TIMEOUT', `ffmpeg took longer than ${options.timeoutMs} ms`, { cause: error });
      throw new FrameExtractError('DECODE_FAILED', `ffmpeg ${error.message.replace(/^ffmpeg /, '')}: ${redact(error.lastLine, options.input)}`, { cause: error });
    }
    throw error;
  }
  const image = options.stillImage ? stdout : wholeFrame(stdout, options, keepLast);
  if (image === undefined || firstPts === undefined) {
    throw new FrameExtractError('NO_FRAME', `no frame could be decoded at ${time.toFixed(3)} s (corrupt or truncated stretch?)`);
  }
  const actualTime = options.stillImage ? 0 : Math.max(0, firstPts - options.startTime);
  if (damage?.concealed(firstPts)) throw new FrameExtractError('DECODE_FAILED', `the keyframe at ${actualTime.toFixed(3)} s is damaged (ffmpeg would show another picture for it)`);
  return { image, actualTime };
}

/** The one frame on stdout, or undefined when ffmpeg wrote none (or not a whole one). */
function wholeFrame(stdout: Buffer, options: ExtractOptions, keepLast = false): FrameImage | undefined {
  if (stdout.length === 0) return undefined;
  let frames: FrameImage[];
  try {
    const splitter = frameSplitter(options.frameFormat ?? 'lossless', options.width, options.height);
    frames = splitter.push(stdout);
    if (splitter.buffered > 0) return undefined;
  } catch {
    return undefined;
  }
  const frame = keepLast ? frames.at(-1) : frames[0];
  return (keepLast || frames.length === 1) && frame !== undefined && (isEncoded(frame) || frame.data.length > 0) ? frame : undefined;
}

/** Presigned URLs are credentials: never let one into a message. */
export function redact(text: string, input: string): string {
  return input.includes('://') ? text.split(input).join('<input>') : text;
}

import { SubprocessError } from '../errors.js';
import { runProcess } from './process.js';

/** How a frame is fitted to the model's input: fill and centre-crop, or stretch (what nsfwjs does). */
export type FitMode = 'crop' | 'stretch';

export interface ExtractOptions {
  readonly ffmpeg: string;
  /** What ffmpeg opens: a path or a (presigned) URL. */
  readonly input: string;
  readonly width: number;
  readonly height: number;
  readonly fit: FitMode;
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
}

export interface ExtractedFrame {
  readonly jpeg: Buffer;
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

/** ffmpeg arguments that decode one frame at `time`, scaled to the model input, as a JPEG on stdout. */
export function extractArgs(time: number, options: Omit<ExtractOptions, 'ffmpeg' | 'timeoutMs' | 'signal' | 'maxLateSeconds'>): string[] {
  const seek = options.stillImage
    ? []
    : [
        ...(options.keyframes ? ['-skip_frame', 'nokey'] : []),
        '-ss', (options.startTime + time).toFixed(6),
        ...(options.keyframes ? ['-noaccurate_seek'] : []),
        // Keep the stream's own timestamps so showinfo reports the decoded frame's real time.
        '-copyts',
      ];
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'info',
    ...seek,
    '-i', options.input,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-frames:v', '1',
    '-vf', `showinfo,${scaleFilter(options.width, options.height, options.fit)}`,
    '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p',
    // One thread per process: framescore runs one process per core instead (measured faster).
    '-threads', '1',
    'pipe:1',
  ];
}

const DEFAULT_MAX_LATE_SECONDS = 1;
const SHOWINFO_PTS = /Parsed_showinfo.*\bpts_time:\s*(-?[\d.]+)/;

/** Decodes the frame at `time` seconds (relative to the video's start). */
export async function extractFrame(time: number, options: ExtractOptions): Promise<ExtractedFrame> {
  let firstPts: number | undefined;
  const onStderrLine = (line: string): void => {
    if (firstPts !== undefined) return;
    const match = SHOWINFO_PTS.exec(line);
    if (match) firstPts = Number(match[1]);
  };
  let stdout: Buffer;
  try {
    ({ stdout } = await runProcess(options.ffmpeg, extractArgs(time, options), { timeoutMs: options.timeoutMs, signal: options.signal, onStderrLine }));
  } catch (error) {
    if (error instanceof SubprocessError) {
      if (error.timedOut) throw new FrameExtractError('TIMEOUT', `ffmpeg took longer than ${options.timeoutMs} ms`, { cause: error });
      throw new FrameExtractError('DECODE_FAILED', `ffmpeg ${error.message.replace(/^ffmpeg /, '')}: ${redact(error.lastLine, options.input)}`, { cause: error });
    }
    throw error;
  }
  if (stdout.length === 0 || firstPts === undefined) {
    throw new FrameExtractError('NO_FRAME', `no frame could be decoded at ${time.toFixed(3)} s (corrupt or truncated stretch?)`);
  }
  if (options.stillImage) return { jpeg: stdout, actualTime: 0 };
  const actualTime = Math.max(0, firstPts - options.startTime);
  const late = actualTime - time;
  if (late > (options.maxLateSeconds ?? DEFAULT_MAX_LATE_SECONDS)) {
    throw new FrameExtractError('SEEK_MISSED', `asked for ${time.toFixed(3)} s but the first decodable frame is at ${actualTime.toFixed(3)} s (corrupt or missing stretch?)`);
  }
  return { jpeg: stdout, actualTime };
}

/** Presigned URLs are credentials: never let one into a message. */
export function redact(text: string, input: string): string {
  return input.includes('://') ? text.split(input).join('<input>') : text;
}

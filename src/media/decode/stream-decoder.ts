/**
 * One long-lived ffmpeg that decodes segments fed on stdin (H.264 as FLV, HEVC as
 * Matroska) and writes the requested frames, scaled to the model input, on stdout
 * (raw RGB, or JPEGs with --frame-format jpeg). It replaces
 * an ffmpeg start and a file open per frame (about 0.3 s of CPU with Debian's build
 * on a 1.35 GB MP4) with one process per core for the whole video.
 */
import type { Feed, PackedSegment } from '../feed/feed.js';
import type { CodedSegment } from '../index/segment.js';
import type { FrameImage } from '../../core/image-decode.js';
import type { FitMode } from '../../core/preprocess.js';
import { CONCEALED } from './decode-damage.js';
import { scaleFilter } from './extract.js';
import { frameOutputArgs, frameSplitter, type FrameFormat, type FrameSplitter } from './frame-output.js';
import { streamProcess, type StreamingProcess } from '../process.js';

export interface StreamDecoderOptions {
  readonly ffmpeg: string;
  /** How segments are packed for this decoder (one feed per decoder). */
  readonly feed: Feed;
  readonly width: number;
  readonly height: number;
  readonly fit: FitMode;
  readonly frameFormat: FrameFormat;
  /** Degrees clockwise the player turns the picture (the MP4's display matrix, which the feed does not carry). */
  readonly rotation: number;
  /** No output for this long while frames are awaited: the decoder is stopped. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** The decoder did not produce a requested frame; the caller can still try the per-frame path. */
export class StreamDecodeError extends Error {
  override name = 'StreamDecodeError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * H.264 holds at most 16 decoded frames for reordering: once this many frames follow
 * a target in the stream, the decoder has output it.
 */
export const FRAMES_THAT_FLUSH = 17;

interface Request {
  readonly pts: number;
  /** Frames fed before and including the target. */
  readonly fedThrough: number;
  readonly resolve: (frame: FrameImage) => void;
  readonly reject: (error: Error) => void;
}

const SHOWINFO_PTS = /Parsed_showinfo.*\bn:\s*\d+\s+pts:\s*(-?\d+)/;

export function streamDecoderArgs(demuxer: Feed['demuxer'], options: Pick<StreamDecoderOptions, 'width' | 'height' | 'fit' | 'rotation' | 'frameFormat'>): string[] {
  const rotate = { 90: 'transpose=clock,', 180: 'hflip,vflip,', 270: 'transpose=cclock,' }[options.rotation] ?? '';
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'info',
    // A damaged frame stops the decoder rather than being concealed: its requests go
    // to the per-frame path, which decides about damage exactly as before.
    '-xerror',
    '-threads', '1',
    // The stream is framescore's own: no need to read ahead to learn what it holds.
    '-probesize', '32', '-analyzeduration', '0',
    '-f', demuxer, '-i', 'pipe:0',
    '-map', '0:v:0', '-an', '-copyts',
    // Only targets have odd timestamps; everything else was decoded to serve as a reference.
    '-vf', `select='mod(pts,2)',${rotate}showinfo,${scaleFilter(options.width, options.height, options.fit)}`,
    // Timestamps are synthetic and 2 ms apart: keep every frame, in the stream's own time base.
    '-vsync', 'passthrough', '-enc_time_base', '-1',
    ...frameOutputArgs(options.frameFormat), '-flush_packets', '1', '-threads', '1',
    'pipe:1',
  ];
}

export class StreamDecoder {
  private readonly process: StreamingProcess;
  private readonly splitter: FrameSplitter;
  private readonly requests: Request[] = [];
  private readonly outputPts: number[] = [];
  private readonly outputFrames: FrameImage[] = [];
  private fed = 0;
  private answered = 0;
  private ending = false;
  private closed: Error | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly settledListeners: (() => void)[] = [];

  constructor(private readonly options: StreamDecoderOptions) {
    this.splitter = frameSplitter(options.frameFormat, options.width, options.height);
    this.process = streamProcess(options.ffmpeg, streamDecoderArgs(options.feed.demuxer, options), {
      signal: options.signal,
      onStdout: (chunk) => this.onStdout(chunk),
      onStderrLine: (line) => {
        const match = SHOWINFO_PTS.exec(line);
        if (match) {
          this.outputPts.push(Number(match[1]));
          this.pair();
        } else if (CONCEALED.test(line) && !this.closed) {
          // ffmpeg 5+ stops on damage with -xerror; 4.1 (the npm static build) conceals and
          // carries on, so framescore stops the decoder itself (the line comes before the frame's showinfo).
          this.process.kill();
          this.close(new StreamDecodeError(`the decoder met damaged data (ffmpeg: ${line.replace(/^\[[^\]]*\]\s*/, '').trim()})`));
        }
      },
    });
    this.process.exited.then(
      () => this.close(new StreamDecodeError('ffmpeg ended without producing the frame')),
      (error: Error) => this.close(new StreamDecodeError(`the stream decoder failed: ${error.message}`, { cause: error })),
    );
    this.write(options.feed.header);
  }

  /** Whether feeding one more segment could be needed before the oldest request is answered. */
  get wantsMore(): boolean {
    const oldest = this.requests[0];
    return oldest === undefined || this.fed - oldest.fedThrough < FRAMES_THAT_FLUSH;
  }

  get failed(): boolean {
    return this.closed !== undefined;
  }

  /** Requests it has answered with a frame. */
  get delivered(): number {
    return this.answered;
  }

  /** Feeds one segment; one promise per target (in the order of `segment.targets`), each resolving with its frame. */
  decode(segment: CodedSegment): Promise<FrameImage>[] {
    if (this.closed) return segment.targets.map(() => Promise.reject(this.closed));
    let packed: PackedSegment;
    try {
      packed = this.options.feed.pack(segment);
    } catch (error) {
      const failure = new StreamDecodeError(`cannot pack the frames: ${(error as Error).message}`, { cause: error });
      return segment.targets.map(() => Promise.reject(failure));
    }
    const answers = segment.targets.map((position, i) => {
      let request!: Request;
      const promise = new Promise<FrameImage>((resolve, reject) => {
        request = { pts: packed.targetPts[i]!, fedThrough: this.fed + position + 1, resolve, reject };
      });
      return { request, promise };
    });
    // Frames come out in display order: wait for them in that order.
    this.requests.push(...answers.map((answer) => answer.request).sort((a, b) => a.pts - b.pts));
    this.fed += segment.frames.length;
    this.write(packed.bytes);
    this.arm();
    return answers.map((answer) => answer.promise);
  }

  /** Resolves when some request settles (or at once when none is pending). */
  settled(): Promise<void> {
    if (this.requests.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledListeners.push(resolve));
  }

  /** No more segments: ffmpeg flushes the frames it holds and exits. */
  async end(): Promise<void> {
    this.ending = true;
    this.process.stdin.end();
    this.arm();
    await this.process.exited.catch(() => {});
  }

  /** Stops at once; requests still waiting are rejected. */
  kill(): void {
    this.process.kill();
    this.close(new StreamDecodeError('the stream decoder was stopped'));
  }

  private write(bytes: Buffer): void {
    if (!this.closed) this.process.stdin.write(bytes);
  }

  private onStdout(chunk: Buffer): void {
    try {
      this.outputFrames.push(...this.splitter.push(chunk));
    } catch (error) {
      this.process.kill();
      this.close(new StreamDecodeError(`unreadable decoder output: ${(error as Error).message}`));
      return;
    }
    this.pair();
  }

  /** The n-th showinfo line describes the n-th frame out; its timestamp names the request. */
  private pair(): void {
    while (this.outputPts.length > 0 && this.outputFrames.length > 0) {
      const pts = this.outputPts.shift()!;
      const frame = this.outputFrames.shift()!;
      const at = this.requests.findIndex((request) => request.pts === pts);
      if (at < 0) continue;
      // Frames come out in feed order: earlier requests still waiting were dropped by the decoder.
      for (const missed of this.requests.splice(0, at)) missed.reject(new StreamDecodeError('the decoder dropped the frame (damaged data?)'));
      this.requests.shift()!.resolve(frame);
      this.answered += 1;
      this.notifySettled();
    }
    this.arm();
  }

  /**
   * Times the oldest request only once its frame is due: when enough frames follow it
   * or the stream has ended. Before that the decoder is waiting for input, not stuck
   * (the feeder may be paused by a slow consumer).
   */
  private arm(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const oldest = this.requests[0];
    if (oldest === undefined || this.closed) return;
    if (!this.ending && this.fed - oldest.fedThrough < FRAMES_THAT_FLUSH) return;
    this.watchdog = setTimeout(() => {
      this.process.kill();
      this.close(new StreamDecodeError(`no frame from the stream decoder in ${this.options.timeoutMs} ms`));
    }, this.options.timeoutMs);
  }

  private close(error: Error): void {
    this.closed ??= error;
    clearTimeout(this.watchdog);
    for (const request of this.requests.splice(0)) request.reject(this.closed);
    this.notifySettled();
  }

  private notifySettled(): void {
    for (const listener of this.settledListeners.splice(0)) listener();
  }
}

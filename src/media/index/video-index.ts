/**
 * What indexed sampling consumes, whatever the container: every coded frame's
 * presentation time (as ffmpeg reports it, on the stream's own timeline), which frames
 * are keyframes, which are shown, the codec configuration a feed needs, and a way to
 * read the coded frames of one group of pictures. MP4/MOV (own sample-table reader) and
 * Matroska/WebM/MPEG-TS (mediabunny's demuxers) are the implementations.
 */
import type { JobContainer } from '../../core/contract-sample.js';
import type { VideoCodec } from '../codec/nal-units.js';

/** Codecs a long-lived decoder can be fed: H.264/HEVC (length-prefixed NAL units) and VP9. */
export interface CodedFrame {
  readonly data: Buffer;
  readonly time: number;
  readonly keyframe: boolean;
}

export interface CodedSegment {
  /** Decode order, the first an IDR keyframe. */
  readonly frames: readonly CodedFrame[];
  /** Which of `frames` are asked for, ascending (decode order). */
  readonly targets: readonly number[];
  /**
   * The first frame is a keyframe but not an IDR (an open GOP: HEVC CRA, x264 --open-gop):
   * it needs a decoder with nothing before it, and its leading pictures are left out.
   */
  readonly openGop?: boolean;
}

export type IndexCodec = VideoCodec | 'vp9';

export interface VideoIndex {
  /** Which container it came from, for --verbose. */
  readonly container: string;
  readonly codec: IndexCodec;
  /** avcC / hvcC record for H.264 / HEVC; empty for VP9. */
  readonly decoderConfig: Buffer;
  readonly width: number;
  readonly height: number;
  readonly sampleCount: number;
  /** Set when the index holds only the frames around some requested times, saying which (for --verbose). */
  readonly partial?: string;
  /** Set when the container was damaged (or its clock jumps) and the index worked round it, saying how (for --verbose). */
  readonly damage?: string | undefined;
  /** Per frame, in decode order: presentation time in seconds as ffmpeg reports it with -copyts. */
  readonly times: Float64Array;
  readonly keyframes: Uint8Array;
  /** Decode indices of the frames that are shown, by presentation time. */
  readonly shown: Uint32Array;
  /**
   * The coded frames that decode `targets` (decode indices) from keyframe `start`,
   * length-prefixed (4 bytes) for H.264/HEVC; a string says why it cannot.
   */
  readFrames(start: number, targets: readonly number[]): Promise<CodedSegment | string>;
  /**
   * Where coded frames first..last lie (decode order), for the function's decode jobs, or
   * why they cannot travel as one job; absent where the function cannot cut frames out of
   * byte ranges (mediabunny's reading).
   */
  frameSpans?(first: number, last: number): FrameByteSpans | string;
  /** How the function finds the frames in those ranges: as stored (MP4, Matroska) or in the video PID's packets (MPEG-TS). */
  readonly wire?: IndexWire;
  /** Releases what the index holds (not the byte source, which its opener closes). */
  close(): Promise<void>;
}

export interface FrameByteSpans {
  readonly offsets: readonly number[];
  readonly sizes: readonly number[];
}

export interface IndexWire {
  readonly container: JobContainer;
  /** MPEG-TS: the video stream's PID. */
  readonly pid?: number;
  /** Bytes in each NAL unit's length prefix as the frames are stored (4 after MPEG-TS's conversion). */
  readonly nalLengthSize: number;
}

/** An index, or why the file has none a long-lived decoder can be fed from (its frames then take the per-frame seek). */
export type IndexReading = { readonly index: VideoIndex } | { readonly unsupported: string };

/** The times a run will ask for (seconds on the stream's timeline) and the video's length, when the index is read for them. */
export interface WantedTimes {
  readonly times: readonly number[];
  readonly duration: number | undefined;
  /**
   * `always`: read around the times however dense they are. The function's span jobs: a
   * dense span is a small part of a long file, so a pass over the file reads far more
   * than the span, whatever the times' density says (the comparison that matters is
   * against the span, not the file).
   */
  readonly around?: 'always' | undefined;
  /** An MPEG-TS whose clock the client's probe found continuous (the function's span jobs): its check is not repeated. */
  readonly clockContinuous?: boolean | undefined;
}

/**
 * Whether reading the index around `wanted` reads less than one pass over the file, for a
 * container whose reading around one time costs about `secondsPerTime` seconds of video.
 */
export function worthReadingAround(wanted: WantedTimes | undefined, secondsPerTime: number): wanted is WantedTimes {
  if (wanted === undefined || wanted.times.length === 0) return false;
  if (wanted.around === 'always') return true;
  return wanted.duration !== undefined && new Set(wanted.times).size * secondsPerTime <= wanted.duration;
}

/** `shown` from presentation times: every frame, ordered by time (ties keep decode order). */
export function shownByTime(times: Float64Array): Uint32Array {
  const order = Array.from({ length: times.length }, (_, index) => index);
  order.sort((a, b) => times[a]! - times[b]! || a - b);
  return Uint32Array.from(order);
}

/** A partial index's note: how many stretches of the file it read. */
export function aroundNote(stretches: number): string {
  return `in ${stretches} stretch${stretches === 1 ? '' : 'es'} around the requested times`;
}

/** Runs of frames laid end to end, with each frame's run number (a walk never crosses from one run to another). */
export function flattenRuns<T>(joined: readonly (readonly T[])[]): { items: T[]; runs: Uint32Array } {
  const items = joined.flat();
  const runs = new Uint32Array(items.length);
  let at = 0;
  joined.forEach((run, number) => {
    runs.fill(number, at, at + run.length);
    at += run.length;
  });
  return { items, runs };
}

/**
 * The function's GOP walks: decode jobs (sent by the client, or planned here for a span
 * job) on the local sampler's decoder lanes, one long-lived ffmpeg per vCPU, a fresh one
 * per open GOP. A walk's bytes come from wherever the caller read them (ranged GETs read
 * up front, or the span's cached object source); what a walk cannot answer goes back to
 * the caller's `missed` (the per-frame seek, or the read failure).
 */
import os from 'node:os';
import type { GopJob, SampleTrack } from '../../core/contract-sample.js';
import type { RgbImage } from '../../core/image-decode.js';
import type { FitMode } from '../../core/preprocess.js';
import { DecoderLanes, type LaneTask } from '../../media/decode/decoder-lanes.js';
import { StreamDecoder } from '../../media/decode/stream-decoder.js';
import { createFeed } from '../../media/feed/feed.js';
import type { CodedSegment } from '../../media/index/segment.js';
import { segmentOfJob } from '../../media/sampling/job-segment.js';
import { type Deadline, deadlineFailure } from '../deadline.js';
import { ObjectReadError, type ByteRange } from './object-reader.js';

export type Decoded = { readonly id: string; readonly image: RgbImage; readonly time: number } | { readonly id: string; readonly code: string; readonly message: string };

type GopTarget = GopJob['targets'][number];

/** The bytes of one walk's range: read already, or read when the walk is fed. */
export type WalkBytes = (range: ByteRange) => Promise<Buffer | ObjectReadError>;

export interface WalkContext {
  readonly ffmpeg: string;
  readonly width: number;
  readonly height: number;
  readonly fit: FitMode;
  readonly rotation: number;
  readonly deadline: Deadline;
  answer(frame: Decoded): void;
  /** A frame no walk answered: the per-frame seek decides. */
  seek(id: string, time: number): Promise<Decoded>;
  /** What the walks did, for the answer's figures. */
  readonly figures: { framesDecoded: number; gopWalks: number };
}

/** No frame from a decoder for this long means it is stuck. */
const DECODER_TIMEOUT_MS = 20_000;

export function gopRange(gop: GopJob): ByteRange {
  let from = Infinity;
  let to = 0;
  gop.offsets.forEach((offset, i) => {
    from = Math.min(from, offset);
    to = Math.max(to, offset + gop.sizes[i]!);
  });
  return { from, to };
}

/** Decodes `gops` (of one track) on min(vCPUs, jobs) lanes; every target ends answered. */
export async function walkGops(gops: readonly GopJob[], track: SampleTrack, bytesOf: WalkBytes, context: WalkContext): Promise<void> {
  if (gops.length === 0) return;
  const { deadline } = context;
  const decoderConfig = Buffer.from(track.config, 'base64');
  // Targets whose bytes could not be read (a changed or deleted object): they fail with that cause, not a seek.
  const unreadable = new Map<string, ObjectReadError>();
  await new DecoderLanes<GopTarget>({
    lanes: Math.min(os.availableParallelism(), gops.length),
    take: taker(gops, track, bytesOf, context, unreadable),
    newDecoder: () => new StreamDecoder({
      ffmpeg: context.ffmpeg, feed: createFeed({ codec: track.codec, decoderConfig, width: track.width, height: track.height }),
      width: context.width, height: context.height, fit: context.fit, rotation: context.rotation, frameFormat: 'lossless', timeoutMs: DECODER_TIMEOUT_MS,
      signal: deadline.signal,
    }),
    decoded: (target, image) => context.answer(image instanceof Uint8Array
      ? { id: target.id, code: 'DECODE_FAILED', message: 'the decoder gave an encoded image' }
      : { id: target.id, image, time: target.time }),
    // Stopped at the deadline: the client sends the frame again. Else the decoder stopped on damaged data: one seek per frame decides, as on the CLI.
    missed: async (target) => {
      const failure = unreadable.get(target.id);
      if (failure !== undefined) context.answer({ id: target.id, code: failure.code, message: failure.message });
      else context.answer(deadline.signal.aborted ? deadlineFailure(target.id) : await context.seek(target.id, target.time));
    },
    halted: () => deadline.signal.aborted,
  }).run();
}

/**
 * The jobs as the lanes take them. A task is made when a lane is free, so the decode
 * deadline is checked then: past it, a job's task answers its targets with the failure;
 * else it is a walk of its bytes (read when it is fed).
 */
function taker(
  gops: readonly GopJob[], track: SampleTrack, bytesOf: WalkBytes, context: WalkContext, unreadable: Map<string, ObjectReadError>,
): () => LaneTask<GopTarget> | undefined {
  let next = 0;
  return () => {
    const gop = gops[next++];
    if (gop === undefined) return undefined;
    if (context.deadline.decodeOver()) {
      return {
        run: () => {
          for (const target of gop.targets) context.answer(deadlineFailure(target.id));
          return Promise.resolve();
        },
      };
    }
    const range = gopRange(gop);
    const samples = [...new Set(gop.targets.map((target) => target.at))].sort((a, b) => a - b);
    const read = async (): Promise<CodedSegment | string> => {
      const bytes = await bytesOf(range);
      if (bytes instanceof ObjectReadError) {
        // Damaged or missing bytes the index promised (BAD_RANGE): the per-frame seek may still find the frames.
        if (bytes.code !== 'BAD_RANGE') for (const target of gop.targets) unreadable.set(target.id, bytes);
        return bytes.message;
      }
      const segment = segmentOfJob(bytes, range.from, gop, track, samples);
      if (typeof segment !== 'string') {
        context.figures.framesDecoded += segment.frames.length;
        context.figures.gopWalks += 1;
      }
      return segment;
    };
    return { walk: { read, members: gop.targets.map((target) => ({ request: target, answer: samples.indexOf(target.at) })) } };
  };
}

/**
 * The `sample` request: the function reads its frames' bytes from S3 itself, decodes
 * them with a long-lived ffmpeg per vCPU (one walk per group of pictures, MP4 or
 * MPEG-TS, through the same feed and decoder as local sampling) or seeks per frame for
 * other containers, and scores them with the same classifier as a batch.
 * Every frame ends ok or failed with its cause; nothing from the request can crash it.
 */
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { BlockCache } from '../../media/source/block-cache.js';
import { startRangeRelay, type RangeRelay } from '../../media/source/range-relay.js';
import { CONTRACT_VERSION, type ErrorResponse } from '../../core/contract.js';
import { parseSampleRequest, sampleRequestIds, type GopJob, type SampleRequest, type SampleResponse, type SampleResultWire, type SampleTrack } from '../../core/contract-sample.js';
import { ContractError, errorMessage } from '../../core/errors.js';
import type { RgbImage } from '../../core/image-decode.js';
import { shrinkImage } from '../../core/thumbnail.js';
import { toWireImage } from '../../core/wire-image.js';
import { extractFrame, FrameExtractError } from '../../media/decode/extract.js';
import { StreamDecoder } from '../../media/decode/stream-decoder.js';
import { DecoderLanes, type LaneTask } from '../../media/decode/decoder-lanes.js';
import type { CodedSegment } from '../../media/index/segment.js';
import { createFeed } from '../../media/feed/feed.js';
import { segmentOfJob } from '../../media/sampling/job-segment.js';
import { errorResponse, type Outcome } from '../batch.js';
import { ModelUnavailableError } from '../errors.js';
import { Deadline, deadlineFailure, scoreInTime } from '../deadline.js';
import { roundMs } from '../log.js';
import type { Acquired, ModelRuntime } from '../runtime.js';
import { allowedUri, type SamplingAccess } from './access.js';
import { ObjectReader, ObjectReadError, parseS3Uri, type ByteRange } from './object-reader.js';

export interface SampleDeps {
  readonly runtime: ModelRuntime;
  readonly access: SamplingAccess;
  readonly s3: () => S3Client;
  /** Milliseconds left before Lambda stops the invocation. */
  readonly remainingMs: () => number;
}

type Decoded = { readonly id: string; readonly image: RgbImage; readonly time: number } | { readonly id: string; readonly code: string; readonly message: string };

/** The per-frame seek's blocks: as the CLI's relay (256 KB, 16 MB held). */
const SEEK_BLOCK_BYTES = 256 * 1024;
const SEEK_MAX_BLOCKS = 64;

/** No frame from a decoder for this long means it is stuck. */
const DECODER_TIMEOUT_MS = 20_000;

export async function handleSample(event: unknown, deps: SampleDeps): Promise<Outcome<SampleResponse | ErrorResponse>> {
  let request: SampleRequest;
  try {
    request = parseSampleRequest(event);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return refuse('INVALID_REQUEST', error.message, 0);
  }
  const frames = sampleRequestIds(request).length;
  if (deps.access.unavailable !== undefined) return refuse('SAMPLING_UNAVAILABLE', deps.access.unavailable, frames);
  if (!allowedUri(request.object.uri, deps.access)) {
    return refuse('URI_NOT_ALLOWED', `${request.object.uri} is not under this function's VIDEO_URI_PREFIXES (${deps.access.prefixes.join(', ')})`, frames);
  }
  const object = { ...parseS3Uri(request.object.uri), etag: request.object.etag, size: request.object.size };
  const reader = new ObjectReader(deps.s3(), object);
  // The request's object.size sizes every range read: a forged one made hundreds of GETs. Its real length first, before any GET.
  const length = await reader.check().catch((error: unknown) => {
    if (error instanceof ObjectReadError) return undefined; // each frame fails with it below, as before
    throw error;
  });
  if (length !== undefined && length !== request.object.size) {
    return refuse('INVALID_REQUEST', `object.size is ${request.object.size} bytes but ${request.object.uri} holds ${length}`, frames);
  }
  let acquired;
  try {
    acquired = await deps.runtime.acquire();
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    return refuse('MODEL_UNAVAILABLE', error.message, frames);
  }
  const deadline = new Deadline(deps.remainingMs);
  try {
    return await sampleAndScore(request, deps, reader, object, acquired, deadline);
  } finally {
    deadline.dispose();
  }
}

async function sampleAndScore(
  request: SampleRequest, deps: SampleDeps, reader: ObjectReader, object: { key: string; size: number }, acquired: Acquired, deadline: Deadline,
): Promise<Outcome<SampleResponse>> {
  const frames = sampleRequestIds(request).length;
  const { model, coldStart, initMs } = acquired;
  const { classifier } = model;
  const { width, height } = classifier.manifest.input;
  const decodeStarted = performance.now();
  let framesDecoded = 0;
  const decoded: Decoded[] = [];
  const seek = seeker(request, deps, reader, object, width, height, deadline);
  if (request.gops.length > 0 && request.track !== undefined) {
    const track = request.track;
    const decoderConfig = Buffer.from(track.config, 'base64');
    const take = await gopTasks(request.gops, track, reader, deadline, (frame) => decoded.push(frame), (count) => { framesDecoded += count; });
    // The local sampler's lanes: one long-lived ffmpeg per vCPU, a fresh one per open GOP, the seek for what a walk cannot answer.
    await new DecoderLanes<GopTarget>({
      lanes: Math.min(os.availableParallelism(), request.gops.length),
      take,
      newDecoder: () => new StreamDecoder({
        ffmpeg: deps.access.ffmpeg, feed: createFeed({ codec: track.codec, decoderConfig, width: track.width, height: track.height }), width, height, fit: request.fit, rotation: request.video.rotation, frameFormat: 'lossless', timeoutMs: DECODER_TIMEOUT_MS,
        signal: deadline.signal,
      }),
      decoded: (target, image) => decoded.push(image instanceof Uint8Array
        ? { id: target.id, code: 'DECODE_FAILED', message: 'the decoder gave an encoded image' }
        : { id: target.id, image, time: target.time }),
      // Stopped at the deadline: the client sends the frame again. Else the decoder stopped on damaged data: one seek per frame decides, as on the CLI.
      missed: async (target) => { decoded.push(deadline.signal.aborted ? deadlineFailure(target.id) : await seek(target.id, target.time)); },
      halted: () => deadline.signal.aborted,
    }).run();
  }
  decoded.push(...(await Promise.all(request.seeks.map((target) => seek(target.id, target.requestedTime)))));
  await seek.close();
  const decodeMs = roundMs(performance.now() - decodeStarted - seek.checkMs());

  const images = decoded.filter((entry): entry is Extract<Decoded, { image: RgbImage }> => 'image' in entry);
  const inferStarted = performance.now();
  const { scored, late } = await scoreInTime(images, (chunk) => classifier.classify(chunk.map((entry) => entry.image), request.fit), deadline);
  const inferMs = roundMs(performance.now() - inferStarted);
  const ok = images.slice(0, scored.length);
  for (const entry of late) decoded.push(deadlineFailure(entry.id));
  const byId = new Map<string, SampleResultWire>();
  await Promise.all(ok.map(async (entry, i) => {
    const result = scored[i]!;
    const thumbnail = request.thumbnails === undefined ? undefined : await toWireImage(shrinkImage(entry.image, request.thumbnails));
    byId.set(entry.id, { id: entry.id, ...result, actualTime: entry.time, ...(thumbnail !== undefined && 'pixels' in thumbnail ? { thumbnail: thumbnail.pixels } : {}) });
  }));
  for (const entry of decoded) if ('code' in entry && !byId.has(entry.id)) byId.set(entry.id, { id: entry.id, status: 'failed', code: entry.code, message: entry.message });
  const results = sampleRequestIds(request).map((id) => byId.get(id) ?? { id, status: 'failed' as const, code: 'NO_FRAME', message: 'no frame was decoded' });
  const okCount = results.filter((result) => result.status === 'ok').length;
  const cut = results.filter((result) => result.status === 'failed' && result.code === 'DEADLINE').length;
  return {
    response: {
      v: CONTRACT_VERSION, model: classifier.identity, results, timing: { coldStart, initMs, inferMs },
      media: { bytesRead: reader.bytesRead, getRequests: reader.requests, framesDecoded, decodeMs },
    },
    stats: { frames, ok: okCount, failed: frames - okCount, inferMs, coldStart, initMs, ...(cut > 0 ? { deadline: cut } : {}) },
  };
}

function gopRange(gop: GopJob): ByteRange {
  let from = Infinity;
  let to = 0;
  gop.offsets.forEach((offset, i) => {
    from = Math.min(from, offset);
    to = Math.max(to, offset + gop.sizes[i]!);
  });
  return { from, to };
}

type GopTarget = GopJob['targets'][number];

/**
 * The request's GOP jobs as the lanes take them, their bytes read first (one GET per run
 * of nearby ranges). A task is made when a lane is free, so the decode deadline is checked
 * then: past it, or when its bytes could not be read, a job's task answers its targets
 * with the failure; else it is a walk of its bytes.
 */
async function gopTasks(
  gops: readonly GopJob[], track: SampleTrack, reader: ObjectReader, deadline: Deadline, answer: (frame: Decoded) => void, counted: (frames: number) => void,
): Promise<() => LaneTask<GopTarget> | undefined> {
  const ranges = gops.map(gopRange);
  const slice = await reader.read(ranges);
  const failAll = (gop: GopJob, failure: (target: GopTarget) => Decoded): LaneTask<GopTarget> => ({
    run: () => {
      for (const target of gop.targets) answer(failure(target));
      return Promise.resolve();
    },
  });
  let next = 0;
  return () => {
    const g = next++;
    const gop = gops[g];
    if (gop === undefined) return undefined;
    if (deadline.decodeOver()) return failAll(gop, (target) => deadlineFailure(target.id));
    const bytes = slice(ranges[g]!);
    // Damaged or missing bytes the index promised (BAD_RANGE): the per-frame seek may still find the frames.
    if (bytes instanceof ObjectReadError && bytes.code !== 'BAD_RANGE') return failAll(gop, (target) => ({ id: target.id, code: bytes.code, message: bytes.message }));
    const samples = [...new Set(gop.targets.map((target) => target.at))].sort((a, b) => a - b);
    const read = (): CodedSegment | string => {
      if (bytes instanceof ObjectReadError) return bytes.message;
      const segment = segmentOfJob(bytes, ranges[g]!.from, gop, track, samples);
      if (typeof segment !== 'string') counted(segment.frames.length);
      return segment;
    };
    return { walk: { read: () => Promise.resolve(read()), members: gop.targets.map((target) => ({ request: target, answer: samples.indexOf(target.at) })) } };
  };
}

/**
 * One ffmpeg seek per frame, as the CLI does, reading the object through a loopback
 * range relay whose blocks are ranged GETs of this reader (If-Match, counted), so the
 * per-frame path reads only the blocks it touches and a changed object fails too.
 */
function seeker(request: SampleRequest, deps: SampleDeps, reader: ObjectReader, object: { key: string; size: number }, width: number, height: number, deadline: Deadline) {
  let ready: Promise<RangeRelay | ObjectReadError> | undefined;
  let checkMs = 0;
  const limit = pLimit(Math.max(1, os.availableParallelism()));
  const url = async (): Promise<string | ObjectReadError> => {
    ready ??= (async () => {
      const started = performance.now();
      try {
        await reader.check();
        const cache = new BlockCache((start, end) => reader.readRange({ from: start, to: end + 1 }), { size: object.size, blockBytes: SEEK_BLOCK_BYTES, maxBlocks: SEEK_MAX_BLOCKS });
        return await startRangeRelay(cache, path.posix.basename(object.key));
      } catch (error) {
        return error instanceof ObjectReadError ? error : new ObjectReadError('READ_FAILED', errorMessage(error));
      } finally {
        checkMs += performance.now() - started;
      }
    })();
    const relay = await ready;
    return relay instanceof ObjectReadError ? relay : relay.url;
  };
  const close = async (): Promise<void> => {
    const relay = await ready;
    if (relay !== undefined && !(relay instanceof ObjectReadError)) await relay.close();
  };
  const seek = (id: string, time: number): Promise<Decoded> => limit(async () => {
    if (deadline.decodeOver()) return deadlineFailure(id);
    const input = await url();
    if (input instanceof ObjectReadError) return { id, code: input.code, message: input.message };
    try {
      const frame = await extractFrame(time, {
        ffmpeg: deps.access.ffmpeg, input, width, height, fit: request.fit, frameFormat: 'lossless', keyframes: request.video.keyframes,
        startTime: request.video.startTime, stillImage: false, timeoutMs: Math.max(1000, Math.min(60_000, deadline.decodeBudgetMs())), signal: deadline.signal,
      });
      if (frame.image instanceof Uint8Array) return { id, code: 'DECODE_FAILED', message: 'the decoder gave an encoded image' };
      return { id, image: frame.image, time: frame.actualTime };
    } catch (error) {
      if (deadline.signal.aborted) return deadlineFailure(id);
      if (error instanceof FrameExtractError) return { id, code: error.code, message: error.message };
      return { id, code: 'DECODE_FAILED', message: errorMessage(error) };
    }
  });
  return Object.assign(seek, { checkMs: () => checkMs, close });
}

function refuse(code: ErrorResponse['error']['code'], message: string, frames: number): Outcome<ErrorResponse> {
  return { response: errorResponse(code, message, { v: CONTRACT_VERSION }), stats: { frames, ok: 0, failed: frames, inferMs: 0, error: { code, message } } };
}

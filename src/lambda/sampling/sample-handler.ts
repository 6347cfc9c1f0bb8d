/**
 * The `sample` request: the function reads its frames' bytes from S3 itself, decodes
 * them with a long-lived ffmpeg per vCPU (one walk per group of pictures, through the
 * same feed and decoder as local sampling: gop-walks.ts) or seeks per frame for other
 * containers, and scores them with the same classifier as a batch. Span jobs are
 * indexed here first (span-jobs.ts), then walked the same way.
 * Every frame ends ok or failed with its cause; nothing from the request can crash it.
 */
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { BlockCache } from '../../media/source/block-cache.js';
import { startRangeRelay, type RangeRelay } from '../../media/source/range-relay.js';
import { CONTRACT_VERSION, type ErrorResponse } from '../../core/contract.js';
import { parseSampleRequest, sampleRequestIds, type SampleRequest, type SampleResponse, type SampleResultWire, type SeekTarget } from '../../core/contract-sample.js';
import { ContractError, errorMessage } from '../../core/errors.js';
import type { RgbImage } from '../../core/image-decode.js';
import { shrinkImage } from '../../core/thumbnail.js';
import { toWireImage } from '../../core/wire-image.js';
import { extractFrame, FrameExtractError } from '../../media/decode/extract.js';
import { errorResponse, type Outcome } from '../batch.js';
import { ModelUnavailableError } from '../errors.js';
import { Deadline, deadlineFailure, scoreInTime } from '../deadline.js';
import { roundMs } from '../log.js';
import type { Acquired, ModelRuntime } from '../runtime.js';
import { allowedUri, type SamplingAccess } from './access.js';
import { gopRange, walkGops, type Decoded, type WalkContext } from './gop-walks.js';
import { ObjectReader, ObjectReadError, parseS3Uri } from './object-reader.js';
import { DeadlineReached, ObjectSource, ReadBudgetError } from './object-source.js';
import { planSpan } from './span-jobs.js';

export interface SampleDeps {
  readonly runtime: ModelRuntime;
  readonly access: SamplingAccess;
  readonly s3: () => S3Client;
  /** Milliseconds left before Lambda stops the invocation. */
  readonly remainingMs: () => number;
}

/** The per-frame seek's blocks: as the CLI's relay (256 KB, 16 MB held). */
const SEEK_BLOCK_BYTES = 256 * 1024;
const SEEK_MAX_BLOCKS = 64;

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
  const decoded: Decoded[] = [];
  const seek = seeker(request, deps, reader, object, width, height, deadline);
  const figures = { framesDecoded: 0, gopWalks: 0 };
  const context: WalkContext = {
    ffmpeg: deps.access.ffmpeg, width, height, fit: request.fit, rotation: request.video.rotation, deadline, figures,
    answer: (frame) => decoded.push(frame), seek,
  };
  try {
    if (request.gops.length > 0 && request.track !== undefined) {
      const slice = await reader.read(request.gops.map(gopRange));
      await walkGops(request.gops, request.track, (range) => Promise.resolve(slice(range)), context);
    }
    const seeks = [...request.seeks, ...await walkSpans(request, reader, object.size, context)];
    decoded.push(...(await Promise.all(seeks.map((target) => seek(target.id, target.requestedTime)))));
  } finally {
    // The per-frame seek's loopback relay, whatever stopped the decoding: a warm environment keeps no server open.
    await seek.close();
  }
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
      media: { bytesRead: reader.bytesRead, getRequests: reader.requests, framesDecoded: figures.framesDecoded, decodeMs, gopWalks: figures.gopWalks, seeks: seek.count() },
    },
    stats: { frames, ok: okCount, failed: frames - okCount, inferMs, coldStart, initMs, ...(cut > 0 ? { deadline: cut } : {}) },
  };
}

/**
 * The request's span jobs: each one's index read around its times from the object (one
 * cached source for all, so index reads and walks share bytes), its GOP walks decoded on
 * the lanes; returns the frames the index could not place, for the per-frame seek.
 */
async function walkSpans(request: SampleRequest, reader: ObjectReader, size: number, context: WalkContext): Promise<SeekTarget[]> {
  const seeks: SeekTarget[] = [];
  const source = new ObjectSource(reader, size, { maxBytes: spanReadBudget(), signal: context.deadline.signal });
  try {
    for (const span of request.spans ?? []) {
      if (context.deadline.decodeOver()) {
        for (const target of span.targets) context.answer(deadlineFailure(target.id));
        continue;
      }
      const plan = await planSpan(span, source, request);
      for (const failure of plan.failed) context.answer(failure);
      seeks.push(...plan.seeks);
      if (plan.track !== undefined) await walkGops(plan.gops, plan.track, (range) => source.read(range.from, range.to - range.from).catch(asReadError), context);
    }
  } finally {
    await source.close();
  }
  return seeks;
}

/**
 * The most a request's span jobs fetch from the object (and hold): a quarter of the
 * function's memory, so an index that would be a pass over a multi-GB object (no Cues, a
 * clock that jumps) stops and its frames take the per-frame seek. A dense span of 256
 * frames of 20 Mbit/s video is about 640 MB.
 */
function spanReadBudget(): number {
  const memoryMb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return (Number.isFinite(memoryMb) && memoryMb > 0 ? memoryMb : 3538) * 1024 * 1024 / 4;
}

function asReadError(error: unknown): ObjectReadError {
  if (error instanceof ObjectReadError) return error;
  // Past the read budget or the deadline, the bytes were not read, not found wrong: as BAD_RANGE, the walk's frames go to
  // its missed path (the deadline's failure, or the per-frame seek), not fail with a read error.
  if (error instanceof ReadBudgetError || error instanceof DeadlineReached) return new ObjectReadError('BAD_RANGE', error.message);
  return new ObjectReadError('READ_FAILED', errorMessage(error));
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
  let seeks = 0;
  const seek = (id: string, time: number): Promise<Decoded> => limit(async () => {
    if (deadline.decodeOver()) return deadlineFailure(id);
    seeks += 1;
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
  return Object.assign(seek, { checkMs: () => checkMs, count: () => seeks, close });
}

function refuse(code: ErrorResponse['error']['code'], message: string, frames: number): Outcome<ErrorResponse> {
  return { response: errorResponse(code, message, { v: CONTRACT_VERSION }), stats: { frames, ok: 0, failed: frames, inferMs: 0, error: { code, message } } };
}

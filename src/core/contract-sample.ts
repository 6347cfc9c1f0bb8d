/**
 * The `sample` request kind of the CLI↔Lambda contract: the function reads an S3
 * video's coded frames itself (ranged GETs, in-region), decodes and scores them. The
 * client sends decode jobs it planned from the file's index: for MP4/MOV, MPEG-TS and
 * Matroska/WebM with H.264/HEVC (VP9 in Matroska/WebM), one job per group of pictures (the byte ranges of its coded frames,
 * in decode order, and the targets in it, so no GOP prefix is decoded twice; the
 * track's `container` says how the ranges hold the frames); for other containers, the
 * times alone (the function seeks per frame over the object). A function that says so
 * (sampling.spans) also takes span jobs: the times alone for a container it indexes
 * itself (Matroska/WebM, MPEG-TS), so the client reads no frame-level index. Validated
 * both sides; a malformed job is answered per frame.
 */
import { isRecord, type ModelIdentity } from './model-manifest.js';
import { FIT_MODES, type FitMode } from './preprocess.js';
import {
  CONTRACT_VERSION, MAX_FRAMES_PER_REQUEST, MAX_ID_LENGTH, duration, errorBody, frameResults, invokeTiming, isFiniteNumber, parseModelIdentity, preview, rejecter,
  type ErrorResponse, type FrameResultWire, type InvokeTiming,
} from './contract.js';
import type { WirePixels } from './wire-image.js';

export const SAMPLE_KIND = 'sample';
/** Coded frames in one job at most (a GOP of 10 s at 60 fps is 600). */
export const MAX_JOB_FRAMES = 2048;
export const MAX_THUMBNAIL_WIDTH = 256;

/**
 * How a job's byte ranges hold its coded frames: `mp4`, each range one length-prefixed
 * sample; `mpeg-ts`, each range the transport packets from the frame's PES start to the
 * next frame's (the video PID's payloads, Annex B); `matroska` (and WebM), each range
 * one block's frame as stored (length-prefixed H.264/HEVC, or VP9). A function advertises the ones it
 * decodes in its warm-up answer (sampling.containers); absent means `mp4` only.
 */
export const JOB_CONTAINERS = ['mp4', 'mpeg-ts', 'matroska'] as const;
export type JobContainer = (typeof JOB_CONTAINERS)[number];

/** The coded stream's decoder setup, once per request. */
export interface SampleTrack {
  /** Absent: `mp4` (what every function decodes). */
  readonly container?: JobContainer | undefined;
  /** MPEG-TS: the video stream's PID. */
  readonly pid?: number | undefined;
  /** VP9 only in `matroska`. */
  readonly codec: 'h264' | 'hevc' | 'vp9';
  /** base64 of the avcC / hvcC record (empty for VP9). */
  readonly config: string;
  readonly width: number;
  readonly height: number;
  readonly nalLengthSize: number;
}

/** One walk of a group of pictures: its coded frames in decode order, the first the keyframe. */
export interface GopJob {
  readonly offsets: readonly number[];
  readonly sizes: readonly number[];
  /** Presentation time of each, seconds on the stream's timeline (edit list applied). */
  readonly times: readonly number[];
  /** Which frames are asked for (`at` indexes the arrays above), and their time from the start of the video. */
  readonly targets: ReadonlyArray<{ readonly id: string; readonly at: number; readonly time: number }>;
}

export interface SeekTarget {
  readonly id: string;
  readonly requestedTime: number;
}

/**
 * Targets the function indexes itself: it reads the object's frame-level index around
 * their times (not the whole file), plans GOP walks as the client would, and decodes them
 * on the same lanes; a frame the index cannot place takes the per-frame seek.
 */
export interface SpanJob {
  readonly targets: readonly SeekTarget[];
}

/** Containers whose span jobs a function indexes itself (advertised as sampling.spans). */
export const SPAN_CONTAINERS = ['matroska', 'mpeg-ts'] as const;
/** Spans in one request at most (each one an index read: clients send one). */
export const MAX_SPANS = 16;

export interface SampleRequest {
  readonly v: typeof CONTRACT_VERSION;
  readonly kind: typeof SAMPLE_KIND;
  /** The object the client indexed: a changed object (other ETag) fails instead of decoding the wrong bytes. */
  readonly object: { readonly uri: string; readonly etag: string; readonly size: number };
  /**
   * `clockContinuous`: an MPEG-TS whose clock the client's probe checked for jumps (spread
   * probes, ts-around.ts) and found continuous: the function's span index does not read
   * those probes again (the same bytes, pinned by the etag, give the same answer).
   */
  readonly video: { readonly startTime: number; readonly rotation: number; readonly keyframes: boolean; readonly clockContinuous?: boolean | undefined };
  readonly fit: FitMode;
  readonly track?: SampleTrack | undefined;
  readonly gops: readonly GopJob[];
  readonly seeks: readonly SeekTarget[];
  /** Absent from clients that predate span jobs. */
  readonly spans?: readonly SpanJob[] | undefined;
  /** Also answer each frame with a small thumbnail this wide (for --html). */
  readonly thumbnails?: number | undefined;
}

export interface SampleFigures {
  /** Bytes the function read from S3. */
  readonly bytesRead: number;
  readonly getRequests: number;
  readonly framesDecoded: number;
  readonly decodeMs: number;
  /** Group-of-pictures walks and per-frame seeks it made (absent from functions that predate span jobs). */
  readonly gopWalks?: number | undefined;
  readonly seeks?: number | undefined;
}

export type SampleResultWire = FrameResultWire & { readonly actualTime?: number; readonly thumbnail?: WirePixels };

export interface SampleResponse {
  readonly v: typeof CONTRACT_VERSION;
  readonly model: ModelIdentity;
  readonly results: readonly SampleResultWire[];
  readonly timing: InvokeTiming;
  readonly media: SampleFigures;
}

/** Whether an s3:// URI lies under one of the prefixes (s3://bucket/prefix/) a function samples. */
export function uriUnderPrefixes(uri: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => uri.startsWith(prefix) && !uri.slice(prefix.length).split('/').includes('..'));
}

export function isSampleRequest(event: unknown): boolean {
  return isRecord(event) && event.kind === SAMPLE_KIND;
}

export function sampleRequestIds(request: Pick<SampleRequest, 'gops' | 'seeks' | 'spans'>): string[] {
  return [
    ...request.gops.flatMap((gop) => gop.targets.map((target) => target.id)), ...request.seeks.map((target) => target.id),
    ...(request.spans ?? []).flatMap((span) => span.targets.map((target) => target.id)),
  ];
}

const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+/;

/** Validates a sample request. Throws ContractError naming the field: the whole request is refused. */
export function parseSampleRequest(event: unknown): SampleRequest {
  const reject = rejecter('request');
  if (!isRecord(event)) return reject('', 'is not a JSON object');
  if (event.v !== CONTRACT_VERSION) reject('v', `must be ${CONTRACT_VERSION} for kind "sample" (got ${preview(event.v)})`);
  const object = event.object;
  if (!isRecord(object)) return reject('object', 'is not an object');
  if (typeof object.uri !== 'string' || !S3_URI.test(object.uri)) reject('object.uri', 'is not an s3://bucket/key URI');
  if (typeof object.etag !== 'string' || object.etag === '') reject('object.etag', 'is not a string');
  if (!isFiniteNumber(object.size) || object.size <= 0) reject('object.size', 'is not a positive number');
  const video = event.video;
  if (!isRecord(video)) return reject('video', 'is not an object');
  if (!isFiniteNumber(video.startTime)) reject('video.startTime', 'is not a number');
  if (![0, 90, 180, 270].includes(video.rotation as number)) reject('video.rotation', 'is not 0, 90, 180 or 270');
  if (typeof video.keyframes !== 'boolean') reject('video.keyframes', 'is not true or false');
  if (video.clockContinuous !== undefined && typeof video.clockContinuous !== 'boolean') reject('video.clockContinuous', 'is not true or false');
  if (!FIT_MODES.includes(event.fit as FitMode)) reject('fit', `is not one of ${FIT_MODES.join(', ')}`);
  if (event.thumbnails !== undefined && !(Number.isInteger(event.thumbnails) && (event.thumbnails as number) > 0 && (event.thumbnails as number) <= MAX_THUMBNAIL_WIDTH)) {
    reject('thumbnails', `is not a width of 1–${MAX_THUMBNAIL_WIDTH} pixels`);
  }
  if (!Array.isArray(event.gops)) return reject('gops', 'is not a list');
  if (!Array.isArray(event.seeks)) return reject('seeks', 'is not a list');
  const track = event.gops.length > 0 ? parseTrack(event.track, reject) : undefined;
  const ids = new Set<string>();
  const id = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) return reject(field, `is not a string of 1–${MAX_ID_LENGTH} characters`);
    if (ids.has(value)) reject(field, `(${preview(value)}) is repeated`);
    ids.add(value);
    return value;
  };
  const gops = event.gops.map((gop: unknown, g): GopJob => {
    const field = `gops[${g}]`;
    if (!isRecord(gop)) return reject(field, 'is not an object');
    const count = Array.isArray(gop.offsets) ? gop.offsets.length : -1;
    if (count < 1 || count > MAX_JOB_FRAMES) reject(`${field}.offsets`, `is not a list of 1–${MAX_JOB_FRAMES} byte offsets`);
    const numbers = (name: 'offsets' | 'sizes' | 'times', valid: (n: number) => boolean): number[] => {
      const list = gop[name];
      if (!Array.isArray(list) || list.length !== count || !list.every((n: unknown) => isFiniteNumber(n) && valid(n))) return reject(`${field}.${name}`, `is not a list of ${count} valid numbers`);
      return list as number[];
    };
    const offsets = numbers('offsets', (n) => n >= 0 && Number.isInteger(n));
    const sizes = numbers('sizes', (n) => n > 0 && Number.isInteger(n));
    const times = numbers('times', () => true);
    if (!Array.isArray(gop.targets) || gop.targets.length === 0) return reject(`${field}.targets`, 'is not a non-empty list');
    const targets = gop.targets.map((target: unknown, t) => {
      const at = `${field}.targets[${t}]`;
      if (!isRecord(target)) return reject(at, 'is not an object');
      if (!Number.isInteger(target.at) || (target.at as number) < 0 || (target.at as number) >= count) reject(`${at}.at`, `is not an index below ${count}`);
      return { id: id(target.id, `${at}.id`), at: target.at as number, time: duration(target.time, `${at}.time`, reject) };
    });
    return { offsets, sizes, times, targets };
  });
  const seekTarget = (target: unknown, at: string): SeekTarget => {
    if (!isRecord(target)) return reject(at, 'is not an object');
    return { id: id(target.id, `${at}.id`), requestedTime: duration(target.requestedTime, `${at}.requestedTime`, reject) };
  };
  const seeks = event.seeks.map((target: unknown, t) => seekTarget(target, `seeks[${t}]`));
  const spans = event.spans === undefined ? undefined : parseSpans(event.spans, seekTarget, reject);
  if (ids.size === 0) reject('gops', ', "seeks" and "spans" hold no frames');
  if (ids.size > MAX_FRAMES_PER_REQUEST) reject('gops', `, "seeks" and "spans" hold ${ids.size} frames; at most ${MAX_FRAMES_PER_REQUEST} per invocation`);
  return {
    v: CONTRACT_VERSION, kind: SAMPLE_KIND,
    object: { uri: object.uri as string, etag: object.etag as string, size: object.size as number },
    video: { startTime: video.startTime as number, rotation: video.rotation as number, keyframes: video.keyframes as boolean, ...(video.clockContinuous === true ? { clockContinuous: true } : {}) },
    fit: event.fit as FitMode, track, gops, seeks, ...(spans === undefined ? {} : { spans }),
    ...(event.thumbnails === undefined ? {} : { thumbnails: event.thumbnails as number }),
  };
}

function parseSpans(value: unknown, seekTarget: (target: unknown, at: string) => SeekTarget, reject: ReturnType<typeof rejecter>): SpanJob[] {
  if (!Array.isArray(value) || value.length > MAX_SPANS) return reject('spans', `is not a list of at most ${MAX_SPANS} spans`);
  return value.map((span: unknown, s): SpanJob => {
    const field = `spans[${s}]`;
    if (!isRecord(span)) return reject(field, 'is not an object');
    if (!Array.isArray(span.targets) || span.targets.length === 0) return reject(`${field}.targets`, 'is not a non-empty list');
    return { targets: span.targets.map((target: unknown, t) => seekTarget(target, `${field}.targets[${t}]`)) };
  });
}

function parseTrack(value: unknown, reject: ReturnType<typeof rejecter>): SampleTrack {
  if (!isRecord(value)) return reject('track', 'is not an object (needed for "gops")');
  const vp9 = value.codec === 'vp9' && value.container === 'matroska';
  if (value.codec !== 'h264' && value.codec !== 'hevc' && !vp9) reject('track.codec', 'is not "h264" or "hevc" (or "vp9" in "matroska")');
  if (typeof value.config !== 'string' || (value.config === '' && !vp9)) reject('track.config', 'is not a base64 string');
  // 0: the stream says (an MPEG-TS index, like the local sampler's, leaves the size to the decoder).
  for (const name of ['width', 'height'] as const) if (!Number.isInteger(value[name]) || (value[name] as number) < 0) reject(`track.${name}`, 'is not a non-negative integer');
  if (![1, 2, 4].includes(value.nalLengthSize as number)) reject('track.nalLengthSize', 'is not 1, 2 or 4');
  if (value.container !== undefined && !JOB_CONTAINERS.includes(value.container as JobContainer)) reject('track.container', `is not one of ${JOB_CONTAINERS.join(', ')} (this function decodes those)`);
  const ts = value.container === 'mpeg-ts';
  if (ts && !(Number.isInteger(value.pid) && (value.pid as number) >= 0x10 && (value.pid as number) <= 0x1ffe)) reject('track.pid', 'is not a PID of 16–8190 (needed for "mpeg-ts")');
  if (ts && value.nalLengthSize !== 4) reject('track.nalLengthSize', 'is not 4 (what "mpeg-ts" frames are converted to)');
  return {
    ...(value.container === undefined ? {} : { container: value.container as JobContainer }), ...(ts ? { pid: value.pid as number } : {}),
    codec: value.codec as SampleTrack['codec'], config: value.config as string, width: value.width as number, height: value.height as number, nalLengthSize: value.nalLengthSize as number,
  };
}

/** Validates a sample response against its request (as parseInvokeResponse does for a batch). */
export function parseSampleResponse(payload: unknown, request: Pick<SampleRequest, 'gops' | 'seeks' | 'spans'>): SampleResponse | ErrorResponse {
  const reject = rejecter('response');
  if (!isRecord(payload)) return reject('', 'is not a JSON object');
  if (payload.v !== CONTRACT_VERSION) reject('v', `is ${preview(payload.v)}, expected ${CONTRACT_VERSION}`);
  if (payload.error !== undefined) return errorBody(payload.error, CONTRACT_VERSION, reject);
  const model = parseModelIdentity(payload.model, 'response');
  const results = frameResults(payload.results, model.labels, sampleRequestIds(request), reject, (result, field, ok) => {
    const extra: { actualTime?: number; thumbnail?: WirePixels } = {};
    if (ok || result.actualTime !== undefined) extra.actualTime = duration(result.actualTime, `${field}.actualTime`, reject);
    const thumbnail = result.thumbnail;
    if (thumbnail !== undefined) {
      if (!isRecord(thumbnail) || !Number.isInteger(thumbnail.width) || !Number.isInteger(thumbnail.height) || typeof thumbnail.data !== 'string') return reject(`${field}.thumbnail`, 'is not {width, height, data}');
      extra.thumbnail = { width: thumbnail.width as number, height: thumbnail.height as number, data: thumbnail.data as string };
    }
    return extra;
  });
  const media = payload.media;
  if (!isRecord(media)) return reject('media', 'is not an object');
  const count = (name: keyof SampleFigures): number => {
    const value = media[name];
    if (!isFiniteNumber(value) || value < 0) return reject(`media.${name}`, 'is not a non-negative number');
    return value;
  };
  const optional = (name: 'gopWalks' | 'seeks'): { [key in typeof name]?: number } => (media[name] === undefined ? {} : { [name]: count(name) });
  return {
    v: CONTRACT_VERSION, model, results, timing: invokeTiming(payload.timing, reject),
    media: { bytesRead: count('bytesRead'), getRequests: count('getRequests'), framesDecoded: count('framesDecoded'), decodeMs: count('decodeMs'), ...optional('gopWalks'), ...optional('seeks') },
  };
}


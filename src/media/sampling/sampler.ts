import { mkdir, readFile } from 'node:fs/promises';
import { mapBounded } from '../../core/bounded-map.js';
import { sniffImage } from '../../core/image-decode.js';
import { withAskedTimes, type PlannedFrame } from '../../core/sampling-plan.js';
import type { SampledFrame } from '../../core/results.js';
import { extractFrame, FrameExtractError, redact, type ExtractedFrame, type ExtractOptions } from '../decode/extract.js';
import { settleFrame, type SamplerOptions } from './sampler-options.js';

export type { SamplerOptions, SamplingMedia, SamplingMethod } from './sampler-options.js';
export { SAMPLING_METHODS } from './sampler-options.js';
import type { IndexedVideo } from './indexed-sampler.js';
import { saveFrame } from './saved-frames.js';
import { gatherDecodeFacts } from './decode-facts.js';
import { chooseStrategy, type Strategy } from './strategy.js';

/**
 * Decodes the planned frames, yielding each as soon as it is ready (not in plan
 * order). A frame that cannot be decoded is yielded as failed; it never stops the others.
 */
export async function* sampleFrames(plan: readonly PlannedFrame[], options: SamplerOptions): AsyncGenerator<SampledFrame> {
  if (options.saveFramesDir) await mkdir(options.saveFramesDir, { recursive: true });
  // HEVC in MPEG-TS: ffmpeg's seek there can start decoding without the references a picture needs.
  const seekOptions = /mpegts/.test(options.media?.container ?? '') && options.media?.codec === 'hevc' ? { ...options, seekEarly: true } : options;
  const seekOne = (planned: PlannedFrame): Promise<SampledFrame> =>
    settleFrame(planned, () => (options.stillImage ? readStill(options) : extractFrame(planned.requestedTime, seekOptions)));
  const method = options.method ?? 'auto';
  let frames: AsyncIterable<SampledFrame> | undefined;
  let indexed: IndexedVideo | undefined;
  let notIndexed = '';
  // ffmpeg's seek works on a joined MPEG-TS's own clock, not the continuous timeline the plan is on.
  const seekOnClock = method === 'seek' && !options.media?.clockJumps;
  if (!options.stillImage && plan.length > 0 && !seekOnClock) {
    for (const strategy of await candidates(plan, options)) {
      const why = notIndexed ? `not indexed (${notIndexed}); ` : '';
      if (strategy === 'sequential') {
        const { sampleSequential } = await import('./sequential-sampler.js');
        const from = options.media?.clockJumps ? ' from the start on ffmpeg\'s continuous timeline (its clock jumps)' : '';
        options.onNote?.(`${why}one ffmpeg per stretch of the video, ${options.concurrency} at a time, decoding straight through${from}`);
        frames = sampleSequential(plan, options, seekOne);
        break;
      }
      if (strategy === 'seek') {
        options.onNote?.(`one ffmpeg seek per frame${notIndexed ? ` (${notIndexed})` : ''}`);
        break;
      }
      const { openIndexedVideo } = await import('./indexed-sampler.js');
      const opened = await openIndexedVideo(options, plan);
      if (typeof opened !== 'string') {
        indexed = opened;
        frames = indexed.sample(plan, seekOne);
        break;
      }
      notIndexed = opened;
    }
  }
  // Times asked for after the last frame were planned at the last frame; report what was asked.
  const asAsked = withAskedTimes(plan);
  try {
    for await (const decoded of frames ?? mapBounded(plan, options.concurrency, seekOne, options.signal)) {
      const frame = asAsked(decoded);
      if (options.saveFramesDir && frame.status === 'sampled') {
        await saveFrame(options.saveFramesDir, frame.index, frame.actualTime ?? frame.requestedTime, frame.image);
      }
      yield frame;
    }
  } finally {
    await indexed?.close();
  }
}

/**
 * The strategies to try, in order. Forced: that one (indexed falls back to the seek).
 * `auto` with the probe's facts: cheapest first by the estimate; without them (callers
 * that know nothing of the input): indexed where it can be, else the seek.
 */
async function candidates(plan: readonly PlannedFrame[], options: SamplerOptions): Promise<Strategy[]> {
  const method = options.method ?? 'auto';
  const jumps = options.media?.clockJumps === true;
  if (jumps && method === 'seek') {
    options.onNote?.('its clock jumps (joined MPEG-TS): ffmpeg seeks on the file\'s clock, so the frames come from the index of its continuous timeline');
    return ['indexed', 'sequential'];
  }
  if (method === 'indexed' || method === 'seek' || method === 'sequential') return method === 'indexed' ? ['indexed', jumps ? 'sequential' : 'seek'] : [method];
  if (options.media === undefined) return ['indexed', 'seek'];
  const facts = await gatherDecodeFacts({ ...options, media: options.media });
  const choice = chooseStrategy(facts, { times: plan.map((frame) => frame.requestedTime), keyframes: options.keyframes, cores: options.concurrency });
  const estimates = choice.estimates.map((e) => `${e.strategy} ≈ ${formatSeconds(e.seconds)} (${e.detail})`).join(', ');
  options.onNote?.(`estimated ${estimates}: ${choice.strategy}, ${choice.reason}`);
  const order = choice.estimates.map((e) => e.strategy);
  // Only the index and a decode from the start see a joined MPEG-TS's continuous timeline.
  return jumps ? [...new Set<Strategy>([...order.filter((strategy) => strategy !== 'seek'), 'sequential'])] : order;
}

function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(0)} s`;
}

/** Still images larger than this are left to ffmpeg rather than read into memory whole. */
const MAX_STILL_BYTES = 64 * 1024 * 1024;

/**
 * A JPEG or PNG still is scored as the file it is: its own bytes, decoded at its own
 * size by the classifier (the same decoder the function uses). Other still formats
 * (WebP, BMP, TIFF, GIF) are decoded by ffmpeg to a PNG of the same size.
 */
async function readStill(options: ExtractOptions): Promise<ExtractedFrame> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readWhole(options.input, options.signal);
  } catch (error) {
    throw new FrameExtractError('DECODE_FAILED', `cannot read the image: ${redact((error as Error).message, options.input)}`, { cause: error });
  }
  if (bytes !== undefined && sniffImage(bytes) !== undefined) return { image: bytes, actualTime: 0 };
  return extractFrame(0, options);
}

async function readWhole(input: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
  if (!/^https?:\/\//i.test(input)) return new Uint8Array(await readFile(input, { signal }));
  const response = await fetch(input, { signal });
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (!response.ok || !(length <= MAX_STILL_BYTES)) {
    await response.body?.cancel();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return undefined;
  }
  return new Uint8Array(await response.arrayBuffer());
}


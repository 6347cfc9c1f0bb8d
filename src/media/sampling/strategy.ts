/**
 * Which way to decode an input's frames, weighed per input from what the index or the
 * probe says. Pure: (facts, targets) → an estimate of wall seconds per strategy.
 *   indexed     the coded frames each GOP walk needs, fed to one long-lived ffmpeg per core
 *   seek        one ffmpeg per frame: process start, file open, decode from the keyframe before
 *   sequential  one ffmpeg per stretch of the targets, decoding it straight through
 * Dense targets and small, cheap files favour sequential; sparse targets in long files
 * favour indexed (or seek where there is no index).
 */
import { planStretches } from './stretch-plan.js';

export type Strategy = 'indexed' | 'seek' | 'sequential';

export interface DecodeFacts {
  readonly container: string;
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  readonly frameRate: number;
  readonly duration: number;
  /** Frames in the stream (the index's count; else duration × frame rate). */
  readonly frameCount?: number | undefined;
  /** Keyframe presentation times from the index, seconds from the start; else a keyframe every COSTS.assumedGopSeconds is assumed. */
  readonly keyframeTimes?: ArrayLike<number> | undefined;
  /** false: the indexed path cannot take this input; undefined: only trying tells. */
  readonly indexable?: boolean | undefined;
}

export interface StrategyRequest {
  /** Requested times, seconds from the start of the video. */
  readonly times: readonly number[];
  readonly keyframes: boolean;
  readonly cores: number;
}

export interface StrategyEstimate {
  readonly strategy: Strategy;
  readonly seconds: number;
  readonly detail: string;
}

export interface StrategyChoice {
  readonly strategy: Strategy;
  /** Cheapest first. */
  readonly estimates: readonly StrategyEstimate[];
  readonly reason: string;
}

/**
 * Measured on this project's 2-core machine with Debian's ffmpeg 5.1 (see the README's
 * "Choosing how to decode"): `ffmpeg -version` for the process start, one-frame seeks
 * into the 30-min MP4 and a 3-min AVI for the opens, single-threaded full decodes of
 * 1080p H.264 (7.0 ms a frame) and 768×576 MPEG-4 (1.8 ms) for the per-pixel cost.
 */
export const COSTS = {
  processStart: 0.08,
  /** Opening an input and finding the first frame, beyond the process start. */
  openBase: 0.04,
  /** An MP4/MOV's sample table is parsed on every open: 140 ms for the 45,000-frame bench file. */
  openPerIndexEntry: 3.1e-6,
  /** Single-threaded decode, seconds per pixel of an average frame. */
  decodePerPixel: 3.4e-9,
  /** A keyframe costs this many average frames (27 ms against 6–7 ms at 1080p). */
  keyframeFactor: 4,
  /** Scaling a passed frame to the model's size and converting it to RGB, per source pixel. */
  outputPerPixel: 7e-9,
  /** The per-frame seek starts this early (extract.ts). */
  seekMarginSeconds: 0.25,
  /** A stretch starts this much before its first target (sequential-sampler.ts). */
  stretchPrerollSeconds: 5.25,
  /** Share of the frames between a keyframe and a target the indexed path must decode (it skips frames nothing refers to). */
  indexedReferenceFraction: 0.55,
  /** Reading, wrapping and piping each fed frame, and each walk's round trip. */
  indexedPerFrame: 0.0003,
  indexedPerWalk: 0.004,
  /** When nothing says where the keyframes are. */
  assumedGopSeconds: 2,
} as const;

/** Most targets one stretch's select filter carries (the filter is one argument; Linux caps those at 128 KiB). */
export const MAX_STRETCH_TARGETS = 1000;

export function chooseStrategy(facts: DecodeFacts, request: StrategyRequest, allowed: readonly Strategy[] = ['indexed', 'seek', 'sequential']): StrategyChoice {
  const estimates = allowed
    .filter((strategy) => strategy !== 'indexed' || facts.indexable !== false)
    .map((strategy) => estimate(strategy, facts, request))
    .sort((a, b) => a.seconds - b.seconds);
  const [best, next] = estimates;
  if (best === undefined) throw new Error('no strategy to choose from');
  const gops = touchedGops(facts, request);
  const assumed = facts.keyframeTimes && facts.keyframeTimes.length > 1 ? '' : ` (assumed ${COSTS.assumedGopSeconds} s long)`;
  const density = `${request.times.length} frames touching ${gops.touched} of ${gops.total} GOPs${assumed}`;
  const reason = next === undefined ? density : `${density}; ${(next.seconds / Math.max(best.seconds, 1e-3)).toFixed(1)}× cheaper than ${next.strategy}`;
  return { strategy: best.strategy, estimates, reason };
}

export function estimate(strategy: Strategy, facts: DecodeFacts, request: StrategyRequest): StrategyEstimate {
  const model = costModel(facts);
  const cores = Math.max(1, request.cores);
  const times = [...request.times].sort((a, b) => a - b);
  const output = (times.length * model.output) / cores;
  if (strategy === 'seek') {
    let total = 0;
    for (const time of times) {
      const decode = request.keyframes ? model.keyframe : model.frames(keyframes(model, time - COSTS.seekMarginSeconds), time) * model.frame + model.keyframeExtra;
      total += COSTS.processStart + model.open + decode;
    }
    return { strategy, seconds: total / cores + output, detail: `${times.length} processes, each opening the file` };
  }
  if (strategy === 'indexed') {
    const groups = new Map<number, number[]>();
    for (const time of times) {
      const start = keyframes(model, time);
      const group = groups.get(start);
      if (group) group.push(time);
      else groups.set(start, [time]);
    }
    let total = 0;
    let decoded = 0;
    for (const [start, members] of groups) {
      const span = model.frames(start, members[members.length - 1]!);
      const distinct = Math.min(span, members.length);
      const frames = request.keyframes ? 1 : distinct + (span - distinct) * COSTS.indexedReferenceFraction;
      decoded += frames;
      total += frames * (model.frame + COSTS.indexedPerFrame) + model.keyframeExtra + COSTS.indexedPerWalk;
    }
    const startUp = COSTS.processStart + model.open;
    return { strategy, seconds: total / cores + startUp + output, detail: `${groups.size} GOP walks, ~${Math.round(decoded)} frames decoded` };
  }
  const stretches = planStretches(times, Math.max(cores, Math.ceil(times.length / MAX_STRETCH_TARGETS)), MAX_STRETCH_TARGETS);
  const costs = stretches.map((stretch) => {
    const first = stretch[0]!;
    const last = stretch[stretch.length - 1]!;
    const start = keyframes(model, first - COSTS.stretchPrerollSeconds);
    const decode = request.keyframes
      ? (Math.floor((last - start) / model.gop) + 1) * model.keyframe
      : model.frames(start, last) * model.frame + model.keyframeExtra;
    return COSTS.processStart + model.open + decode;
  });
  const total = costs.reduce((a, b) => a + b, 0);
  const seconds = Math.max(total / cores, ...costs) + output;
  return { strategy, seconds, detail: `${stretches.length} stretch${stretches.length === 1 ? '' : 'es'} decoded straight through` };
}

interface CostModel {
  readonly frame: number;
  readonly keyframe: number;
  readonly keyframeExtra: number;
  readonly output: number;
  readonly open: number;
  readonly gop: number;
  readonly keyframeTimes: ArrayLike<number>;
  frames(from: number, to: number): number;
}

function costModel(facts: DecodeFacts): CostModel {
  const pixels = Math.max(1, facts.width * facts.height);
  const frame = pixels * COSTS.decodePerPixel;
  const frameRate = facts.frameRate > 0 ? facts.frameRate : 25;
  const frameCount = facts.frameCount ?? Math.ceil(facts.duration * frameRate);
  const indexed = /mp4|mov/.test(facts.container);
  const gop = facts.keyframeTimes && facts.keyframeTimes.length > 1
    ? Math.max(1 / frameRate, facts.duration / facts.keyframeTimes.length)
    : Math.min(COSTS.assumedGopSeconds, Math.max(facts.duration, 1 / frameRate));
  return {
    frame,
    keyframe: frame * COSTS.keyframeFactor,
    keyframeExtra: frame * (COSTS.keyframeFactor - 1),
    output: pixels * COSTS.outputPerPixel,
    open: COSTS.openBase + (indexed ? frameCount * COSTS.openPerIndexEntry : 0),
    gop,
    keyframeTimes: facts.keyframeTimes && facts.keyframeTimes.length > 0 ? facts.keyframeTimes : [0],
    frames: (from, to) => Math.max(1, Math.round((to - from) * frameRate) + 1),
  };
}

/** The last keyframe at or before `time`: from the index, else on the assumed grid. */
function keyframes(model: CostModel, time: number): number {
  const at = Math.max(0, time);
  const list = model.keyframeTimes;
  if (list.length <= 1) return Math.floor(at / model.gop) * model.gop;
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]! > at) high = middle;
    else low = middle + 1;
  }
  return list[Math.max(0, low - 1)]!;
}

function touchedGops(facts: DecodeFacts, request: StrategyRequest): { touched: number; total: number } {
  const model = costModel(facts);
  const touched = new Set(request.times.map((time) => keyframes(model, time))).size;
  const total = model.keyframeTimes.length > 1 ? model.keyframeTimes.length : Math.max(1, Math.ceil(facts.duration / model.gop));
  return { touched, total };
}

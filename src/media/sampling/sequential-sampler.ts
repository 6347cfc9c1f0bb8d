/**
 * The sequential strategy: the targets split into contiguous stretches, each decoded
 * straight through by one ffmpeg (one per core at a time), a select filter passing
 * exactly the frames the per-frame seek would give: the first frame shown at or after
 * each time, or with --keyframes the last keyframe at or before it. One process start
 * and one file open per stretch instead of per frame; cheapest for dense targets and
 * for small, cheap files. Its length is the stretch planning, the select expression and
 * the reading of ffmpeg's output kept together: each depends on how the others number frames.
 */
import type { FrameImage } from '../../core/image-decode.js';
import type { PlannedFrame } from '../../core/sampling-plan.js';
import type { SampledFrame } from '../../core/results.js';
import { SubprocessError } from '../errors.js';
import { FrameExtractError, lateFrameError, scaleFilter, videoInputArgs } from '../decode/extract.js';
import { DecodeDamage, DECODE_DAMAGE_ARGS } from '../decode/decode-damage.js';
import { frameOutputArgs, frameSplitter } from '../decode/frame-output.js';
import { streamProcess, type StreamingProcess } from '../process.js';
import { planStretches } from './stretch-plan.js';
import type { SamplerOptions } from './sampler-options.js';
import { MAX_STRETCH_TARGETS, COSTS } from './strategy.js';

/** Finished frames waiting for the consumer before the stretches' output is paused. */
const MAX_WAITING_RESULTS = 32;
/** Half a millisecond of slack, as the per-frame path's select filter allows. */
const SLACK_SECONDS = 0.0005;
const SHOWINFO_PTS = /Parsed_showinfo.*\bpts_time:\s*(-?[\d.]+)/;

interface Target {
  readonly planned: PlannedFrame;
  /** On the stream's timeline (start time added). */
  readonly time: number;
}

export async function* sampleSequential(plan: readonly PlannedFrame[], options: SamplerOptions, seekOne: (planned: PlannedFrame) => Promise<SampledFrame>): AsyncGenerator<SampledFrame> {
  const concurrency = Math.max(1, options.concurrency);
  const origin = timelineOrigin(options);
  const targets = plan.map((planned) => ({ planned, time: origin + planned.requestedTime }));
  const stretches = planStretches(targets, Math.max(concurrency, Math.ceil(plan.length / MAX_STRETCH_TARGETS)), MAX_STRETCH_TARGETS, (target) => target.time);
  const waiting: SampledFrame[] = [];
  const running = new Set<StreamingProcess>();
  let paused = false;
  let wakeConsumer: (() => void) | undefined;
  let next = 0;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  const halted = (): boolean => stopped || failure !== undefined || options.signal?.aborted === true;

  const setPaused = (pause: boolean): void => {
    if (pause === paused) return;
    paused = pause;
    for (const process of running) {
      if (pause) process.pauseOutput();
      else process.resumeOutput();
    }
  };
  const emit = (frame: SampledFrame): void => {
    if (stopped) return;
    waiting.push(frame);
    if (waiting.length >= MAX_WAITING_RESULTS) setPaused(true);
    wakeConsumer?.();
  };
  const stretchOptions: StretchOptions = {
    sampler: options, emit, halted, seekOne,
    started: (process) => { running.add(process); if (paused) process.pauseOutput(); },
    ended: (process) => running.delete(process),
    isPaused: () => paused,
  };
  const lane = async (): Promise<void> => {
    while (!halted()) {
      const stretch = stretches[next++];
      if (stretch === undefined) return;
      await runStretch(stretch, stretchOptions);
    }
  };

  let finished = false;
  const lanes = Promise.all(Array.from({ length: Math.min(concurrency, stretches.length) }, lane))
    .then(() => {}, (error: unknown) => { failure ??= { error }; })
    .finally(() => { finished = true; wakeConsumer?.(); });
  try {
    while (!failure && (!finished || waiting.length > 0)) {
      if (waiting.length > 0) {
        yield waiting.shift()!;
        if (waiting.length < MAX_WAITING_RESULTS / 2) setPaused(false);
        continue;
      }
      await new Promise<void>((resolve) => { wakeConsumer = resolve; });
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    for (const process of running) process.kill();
    await lanes;
  }
  if (failure) throw failure.error;
}

interface StretchOptions {
  readonly sampler: SamplerOptions;
  readonly emit: (frame: SampledFrame) => void;
  readonly halted: () => boolean;
  readonly seekOne: (planned: PlannedFrame) => Promise<SampledFrame>;
  readonly started: (process: StreamingProcess) => void;
  readonly ended: (process: StreamingProcess) => void;
  readonly isPaused: () => boolean;
}

/**
 * Decodes one stretch. Frames leave ffmpeg in presentation order, each with its showinfo
 * line, so each target takes the first passed frame at or after it (exact), or the last
 * keyframe at or before it (keyframes). A target the stretch never reaches fails
 * NO_FRAME; when ffmpeg itself fails, the targets it had not answered seek one by one.
 */
async function runStretch(stretch: readonly Target[], options: StretchOptions): Promise<void> {
  const { sampler } = options;
  const exact = !sampler.keyframes;
  let answered = 0;
  const times: number[] = [];
  const images: FrameImage[] = [];
  let held: { time: number; image: FrameImage } | undefined;
  // A damaged keyframe comes out concealed from the keyframe before: it fails rather than show that picture.
  const damage = exact ? undefined : new DecodeDamage();
  let process: StreamingProcess | undefined;
  let splitFailure: string | undefined;
  const splitter = frameSplitter(sampler.frameFormat ?? 'lossless', sampler.width, sampler.height);
  const toSeek: Target[] = [];

  const answer = (target: Target, pts: number, image: FrameImage): void => {
    answered += 1;
    const actualTime = Math.max(0, pts - timelineOrigin(sampler));
    if (damage?.concealed(pts)) {
      options.emit(failed(target.planned, new FrameExtractError('DECODE_FAILED', `the keyframe at ${actualTime.toFixed(3)} s is damaged (ffmpeg would show another picture for it)`)));
      return;
    }
    // Much later than asked for: a long gap between frames, or a stretch the decode skipped.
    // The per-frame seek walks back and tells them apart; it answers once this stretch ends.
    if (lateFrameError(target.planned.requestedTime, actualTime, !exact, sampler.maxLateSeconds)) {
      toSeek.push(target);
      return;
    }
    options.emit({ index: target.planned.index, requestedTime: target.planned.requestedTime, actualTime, status: 'sampled', image });
  };
  const take = (pts: number, image: FrameImage): void => {
    if (exact) {
      while (answered < stretch.length && stretch[answered]!.time - SLACK_SECONDS <= pts) answer(stretch[answered]!, pts, image);
    } else {
      // A keyframe after a target settles it: the keyframe before (or this one when none came before) answers it.
      while (answered < stretch.length && stretch[answered]!.time + SLACK_SECONDS < pts) answer(stretch[answered]!, held?.time ?? pts, held?.image ?? image);
      held = { time: pts, image };
    }
    if (answered === stretch.length) process?.kill();
  };
  const pair = (): void => {
    while (times.length > 0 && images.length > 0 && answered < stretch.length) take(times.shift()!, images.shift()!);
  };
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const stall = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      // Waiting for the consumer is not a stall.
      if (options.isPaused()) return stall();
      timedOut = true;
      process?.kill();
    }, sampler.timeoutMs);
  };

  let outcome: 'done' | { error: unknown } = 'done';
  try {
    process = streamProcess(sampler.ffmpeg, stretchArgs(stretch, sampler), {
      signal: sampler.signal,
      onStdout: (chunk) => {
        stall();
        try {
          images.push(...splitter.push(chunk));
        } catch (error) {
          splitFailure ??= (error as Error).message;
          process?.kill();
        }
        pair();
      },
      onStderrLine: (line) => {
        stall();
        damage?.line(line);
        const match = SHOWINFO_PTS.exec(line);
        if (match) times.push(Number(match[1]));
        pair();
      },
    });
    process.stdin.end();
    options.started(process);
    stall();
    await process.exited;
  } catch (error) {
    outcome = { error };
  } finally {
    clearTimeout(timer);
    if (process) options.ended(process);
  }
  pair();
  for (const target of toSeek) {
    if (options.halted()) return;
    options.emit(await options.seekOne(target.planned));
  }
  if (answered === stretch.length || options.halted()) return;
  if (outcome === 'done') {
    // The stream ended: keyframe mode's last keyframe answers the rest; exact mode has no frame for them.
    if (!exact && held !== undefined) {
      const last = held;
      while (answered < stretch.length) answer(stretch[answered]!, last.time, last.image);
      return;
    }
    // Exact mode: nothing at or after them in this decode. The per-frame seek walks back
    // (a stretch that began after the stream's only keyframe finds nothing) and fails only
    // what ffmpeg cannot decode from earlier either.
    for (const target of stretch.slice(answered)) {
      if (options.halted()) return;
      options.emit(await options.seekOne(target.planned));
    }
    answered = stretch.length;
    return;
  }
  if (timedOut) {
    for (const target of stretch.slice(answered)) options.emit(failed(target.planned, new FrameExtractError('TIMEOUT', `ffmpeg gave no output for ${sampler.timeoutMs} ms`)));
    return;
  }
  // ffmpeg stopped on damage or unreadable input: what it did not answer gets the per-frame seek, which fails only what is damaged.
  if (splitFailure === undefined && !(outcome.error instanceof SubprocessError)) throw outcome.error;
  for (const target of stretch.slice(answered)) {
    if (options.halted()) return;
    options.emit(await options.seekOne(target.planned));
  }
}

function failed(planned: PlannedFrame, error: FrameExtractError): SampledFrame {
  return { index: planned.index, requestedTime: planned.requestedTime, actualTime: null, status: 'failed', code: error.code, message: error.message };
}

/**
 * Where the times the stretches compare start: the stream's own clock (start time added),
 * or 0 on an MPEG-TS whose clock jumps, decoded from its start on ffmpeg's own timeline.
 */
function timelineOrigin(options: SamplerOptions): number {
  return options.media?.clockJumps ? 0 : options.startTime;
}

/**
 * One stretch's ffmpeg: seek COSTS.stretchPrerollSeconds before its first target (so a
 * container whose seek lands late, as MPEG-TS does, still starts before it), keep the
 * stream's own timestamps, and pass each target's frame once. An MPEG-TS whose clock jumps
 * (joined files) is decoded from its start without -copyts instead: ffmpeg then closes
 * each jump itself (a full decode's timeline), and the times count from the first frame.
 */
export function stretchArgs(stretch: readonly Target[], options: SamplerOptions): string[] {
  const from = Math.max(0, stretch[0]!.planned.requestedTime - COSTS.stretchPrerollSeconds).toFixed(6);
  const jumps = options.media?.clockJumps === true;
  const seek = jumps
    ? (options.keyframes ? [...DECODE_DAMAGE_ARGS, '-skip_frame', 'nokey'] : [])
    : options.keyframes ? [...DECODE_DAMAGE_ARGS, '-skip_frame', 'nokey', '-ss', from, '-noaccurate_seek', '-copyts'] : ['-ss', from, '-copyts'];
  // Keyframe mode passes every keyframe up to the first after the last target (they are few); the JS side picks.
  // `key` too: ffmpeg 4.1's VP9 decoder ignores -skip_frame and returns every frame.
  const last = stretch[stretch.length - 1]!.time;
  const select = options.keyframes
    ? `select='key*(lte(prev_selected_t,${(last + SLACK_SECONDS).toFixed(6)})+isnan(prev_selected_t))',`
    : `select='${balancedSum([...new Set(stretch.map((target) => (target.time - SLACK_SECONDS).toFixed(6)))].map((at) => `gte(t,${at})*not(gte(prev_t,${at}))`))}',`;
  return [
    ...videoInputArgs(options.input, seek),
    '-vf', `${jumps ? 'setpts=PTS-STARTPTS,' : ''}${select}showinfo,${scaleFilter(options.width, options.height, options.fit)}`,
    // One output frame per passed frame: no duplicates to fill the gaps between them.
    '-vsync', 'passthrough',
    ...frameOutputArgs(options.frameFormat ?? 'lossless'),
    '-threads', '1',
    'pipe:1',
  ];
}

/** A flat sum of more than ~100 terms fails on ffmpeg 5.1; a balanced tree of sums does not. */
export function balancedSum(terms: readonly string[]): string {
  if (terms.length === 1) return terms[0]!;
  const middle = Math.ceil(terms.length / 2);
  return `(${balancedSum(terms.slice(0, middle))}+${balancedSum(terms.slice(middle))})`;
}

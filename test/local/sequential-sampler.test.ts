/**
 * The sequential strategy (one ffmpeg per stretch, decoding straight through) against
 * the per-frame seek on real files: the same frames, byte for byte (raw RGB), at the
 * same times, dense and sparse, exact and --keyframes; failures stay per frame; and
 * `--verbose` through the CLI says which strategy auto chose and why.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { resolveBinaries } from '../../src/media/binaries.js';
import { probeMedia } from '../../src/media/probe.js';
import { runProcess } from '../../src/media/process.js';
import { sampleFrames, type SamplerOptions, type SamplingMethod } from '../../src/media/sampling/sampler.js';
import type { SampledFrame } from '../../src/core/results.js';
import type { PlannedFrame } from '../../src/core/sampling-plan.js';
import { frameBytes } from '../helpers/frames.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { fixture, type Fixture } from '../helpers/videos.js';

const { ffmpeg, ffprobe } = resolveBinaries();

async function sample(name: Fixture, times: readonly number[], method: SamplingMethod, extra: Partial<SamplerOptions> = {}): Promise<{ frames: SampledFrame[]; notes: string[] }> {
  const file = await fixture(name);
  const media = await probeMedia(ffprobe, file, file);
  const notes: string[] = [];
  const plan: PlannedFrame[] = times.map((requestedTime, index) => ({ index, requestedTime }));
  const frames: SampledFrame[] = [];
  for await (const frame of sampleFrames(plan, {
    ffmpeg, input: file, width: 64, height: 48, fit: 'crop', keyframes: false, startTime: media.startTime,
    stillImage: media.stillImage, timeoutMs: 30_000, concurrency: 2, method, rotation: media.rotation,
    media, onNote: (note) => notes.push(note), ...extra,
  })) frames.push(frame);
  return { frames: frames.sort((a, b) => a.index - b.index), notes };
}

function outcome(frames: readonly SampledFrame[]): unknown[] {
  return frames.map((frame) => frame.status === 'sampled'
    ? [Math.round((frame.actualTime ?? NaN) * 1e6) / 1e6, createHash('sha256').update(frameBytes(frame.image)).digest('hex').slice(0, 16)]
    : [frame.status, frame.code]);
}

const every = (step: number, until: number): number[] => Array.from({ length: Math.floor(until / step) }, (_, i) => Math.round(i * step * 1e6) / 1e6);
const FIXTURES = ['h264.mp4', 'h264.mkv', 'h264.ts', 'mpeg4.avi', 'vfr.mkv'] as const;
/**
 * Where ffmpeg's own keyframe seek (-skip_frame nokey -ss T -noaccurate_seek) lands on the
 * last keyframe at or before T. Elsewhere it does not: Matroska with B-frames seeks 3/23 s
 * early (ffmpeg's dts heuristic), AVI rounds T to the nearest frame, MPEG-TS lands on the
 * next keyframe. MP4 kept the rule with ffmpeg 5; the npm build (4.1) gives the keyframe at
 * 1 s for 0.99 s in h264.mp4, so it is not listed.
 */
const SEEK_KEEPS_KEYFRAME_RULE = new Set<string>(['vfr.mkv']);

/** Keyframe presentation times from ffprobe's packet list, seconds from the start of the video. */
async function keyframeTimes(name: Fixture): Promise<number[]> {
  const file = await fixture(name);
  const media = await probeMedia(ffprobe, file, file);
  const { stdout } = await runProcess(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file]);
  return stdout.toString('utf8').split('\n').filter((line) => /,K/.test(line)).map((line) => Math.round((Number(line.split(',')[0]) - media.startTime) * 1e6) / 1e6).sort((a, b) => a - b);
}

describe('sequential sampling (real ffmpeg)', () => {
  const sparse = [0, 0.37, 1.02, 2.3, 3.5, 3.96, 4.71, 5.55];
  for (const name of FIXTURES) {
    // Dense: every frame over the first GOPs (two keyframes crossed) is the point, not the whole file; all of
    // vfr.mkv, whose frame rate changes at 2 s and 4 s. Each time costs the reference one ffmpeg seek.
    const dense = every(0.04, name === 'vfr.mkv' ? 5.9 : 2.5);
    for (const [label, times] of [['sparse', sparse], [`dense (every 0.04 s to ${dense.at(-1)} s)`, dense]] as const) {
      it(`gives ${name} the same frames, byte for byte, at the same times as one seek per frame: ${label}`, async () => {
        const sequential = await sample(name, times, 'sequential');
        assert.match(sequential.notes.join('\n'), /one ffmpeg per stretch/);
        assert.ok(sequential.frames.every((frame) => frame.status === 'sampled'), JSON.stringify(outcome(sequential.frames)));
        assert.deepEqual(outcome(sequential.frames), outcome((await sample(name, times, 'seek')).frames));
      });
    }
    it(`gives ${name} the last keyframe at or before each time (--keyframes), the same pixels as the seek decodes there`, async () => {
      const times = [0, 0.5, 0.99, 1.0, 1.7, 2.01, 3.3, 4.9, 5.5];
      const sequential = await sample(name, times, 'sequential', { keyframes: true });
      assert.ok(sequential.frames.every((frame) => frame.status === 'sampled'), JSON.stringify(outcome(sequential.frames)));
      const keys = await keyframeTimes(name);
      const expected = times.map((time) => keys.filter((key) => key <= time + 0.0005).pop() ?? keys[0]);
      assert.deepEqual(sequential.frames.map((frame) => Math.round((frame.actualTime ?? NaN) * 1e6) / 1e6), expected);
      // The seek path's --keyframes choice is the container's seek (see below); its pixels at those keyframes are the reference.
      assert.deepEqual(outcome(sequential.frames), outcome((await sample(name, expected.map((time) => time ?? NaN), 'seek')).frames));
      if (SEEK_KEEPS_KEYFRAME_RULE.has(name)) assert.deepEqual(outcome(sequential.frames), outcome((await sample(name, times, 'seek', { keyframes: true })).frames));
    });
  }

  it('fails the frames past the end with NO_FRAME and keeps the others', async () => {
    const { frames } = await sample('h264.mp4', [1, 7.5, 30, 31], 'sequential');
    assert.deepEqual(frames.map((frame) => frame.status === 'failed' ? frame.code : 'sampled'), ['sampled', 'sampled', 'NO_FRAME', 'NO_FRAME']);
  });

  it('fails only the frames in a corrupt stretch', async () => {
    const { frames } = await sample('corrupt-middle.mp4', [1.5, 3, 6, 6.5, 11], 'sequential');
    const [before, alsoBefore, inside, alsoInside, after] = frames;
    for (const frame of [before, alsoBefore, after]) assert.ok(frame?.status === 'sampled' && Math.abs((frame.actualTime ?? Infinity) - frame.requestedTime) < 0.05, JSON.stringify(frame));
    for (const frame of [inside, alsoInside]) assert.equal(frame?.status, 'failed');
  });

  it('stops its ffmpeg processes when the consumer stops early, and honours the abort signal', async () => {
    const file = await fixture('h264.mp4');
    const plan = every(0.04, 7.9).map((requestedTime, index) => ({ index, requestedTime }));
    const options: SamplerOptions = { ffmpeg, input: file, width: 64, height: 48, fit: 'crop', keyframes: false, startTime: 0, stillImage: false, timeoutMs: 30_000, concurrency: 2, method: 'sequential' };
    let seen = 0;
    for await (const frame of sampleFrames(plan, options)) {
      assert.equal(frame.status, 'sampled');
      if (++seen === 3) break;
    }
    const controller = new AbortController();
    let after = 0;
    for await (const frame of sampleFrames(plan, { ...options, signal: controller.signal })) {
      void frame;
      after += 1;
      controller.abort();
    }
    assert.ok(after < plan.length, `${after} frames after abort`);
  });

  it('auto picks sequential for a dense plan of a short file and says so, with each estimate', async () => {
    const { notes } = await sample('h264.mp4', every(0.04, 7.9), 'auto');
    assert.match(notes.join('\n'), /estimated .*indexed ≈ .*seek ≈ .*: sequential, 197 frames touching 8 of 8 GOPs/);
  });

  it('--verbose through the CLI prints the estimates and the choice', async () => {
    const dir = await tempDir('sequential-cli');
    const result = await runCli(['sample', await fixture('mpeg4.avi'), '--every', '0.5', '--size', '64x48', '--out-dir', dir, '--verbose']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /estimated (\w+ ≈ [\d.]+ s \([^)]*\)(, )?){2}: sequential, 12 frames touching \d+ of \d+ GOPs/);
    assert.match(result.stderr, /one ffmpeg per stretch/);
    const forced = await runCli(['sample', await fixture('mpeg4.avi'), '--every', '0.5', '--size', '64x48', '--out-dir', dir, '--verbose', '--sampler', 'seek']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.doesNotMatch(forced.stderr, /estimated|per stretch/);
  });
});

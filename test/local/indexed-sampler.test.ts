/**
 * Indexed sampling (MP4/MOV H.264 through one long-lived ffmpeg per core) against the
 * per-frame seek on real files: the same frames, byte for byte, at the same times;
 * other containers fall back; damage fails only what it touches; nothing hangs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { resolveBinaries } from '../../src/media/binaries.js';
import { probeMedia } from '../../src/media/probe.js';
import { StreamDecodeError, StreamDecoder } from '../../src/media/decode/stream-decoder.js';
import { openIndexedVideo } from '../../src/media/sampling/indexed-sampler.js';
import { openByteSource } from '../../src/media/source/byte-source.js';
import { readMpegTsIndex } from '../../src/media/mpeg-ts/mpeg-ts-index.js';
import { readMatroskaIndex } from '../../src/media/matroska/block-index.js';
import { readDemuxedIndex } from '../../src/media/matroska/matroska-index.js';
import { elementHeader } from '../../src/media/matroska/ebml.js';
import { readVideoIndex } from '../../src/media/formats.js';
import { jobTrackOf } from '../../src/media/sampling/decode-jobs.js';
import { segmentOfJob } from '../../src/media/sampling/job-segment.js';
import { createFeed } from '../../src/media/feed/feed.js';
import { FrameChooser } from '../../src/media/index/frame-choice.js';
import { readSegment, type CodedSegment } from '../../src/media/index/segment.js';
import { readMp4VideoTrack, type Mp4VideoTrack } from '../../src/media/mp4/video-track.js';
import { sampleFrames, type SamplerOptions, type SamplingMethod } from '../../src/media/sampling/sampler.js';
import type { SampledFrame } from '../../src/core/results.js';
import { frameBytes } from '../helpers/frames.js';
import type { PlannedFrame } from '../../src/core/sampling-plan.js';
import { runCli } from '../helpers/cli.js';
import { expectedFrame, fullDecode } from '../helpers/full-decode.js';
import { fixture, type Fixture } from '../helpers/videos.js';

const { ffmpeg, ffprobe } = resolveBinaries();

async function sample(name: Fixture, times: readonly number[], method: SamplingMethod, extra: Partial<SamplerOptions> = {}): Promise<{ frames: SampledFrame[]; notes: string[] }> {
  const file = await fixture(name);
  const media = await probeMedia(ffprobe, file, file);
  const notes: string[] = [];
  const plan: PlannedFrame[] = times.map((requestedTime, index) => ({ index, requestedTime }));
  const frames: SampledFrame[] = [];
  for await (const frame of sampleFrames(plan, {
    ffmpeg, input: file, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: media.startTime,
    stillImage: media.stillImage, timeoutMs: 30_000, concurrency: 2, method, rotation: media.rotation,
    onNote: (note) => notes.push(note), ...extra,
  })) frames.push(frame);
  return { frames: frames.sort((a, b) => a.index - b.index), notes };
}

/** What a report would say of each frame: its time and the JPEG's bytes, or the failure. */
function outcome(frames: readonly SampledFrame[]): unknown[] {
  // Times to the microsecond ffmpeg prints: the seek path's subtraction leaves binary-fraction noise.
  return frames.map((frame) => frame.status === 'sampled' ? [Math.round((frame.actualTime ?? NaN) * 1e6) / 1e6, hash(frameBytes(frame.image))] : [frame.status, frame.code]);
}

/**
 * The file whose per-frame seek is the reference for `name`: itself, except HEVC in MPEG-TS,
 * where ffmpeg's plain seek into the TS starts decoding without the references some frames need
 * and its HEVC decoder conceals them (0.4 s and 3.52 s of hevc.ts differ from the same stream in
 * MP4; the sampler seeks such inputs early when it has the probe's facts, which these calls do
 * not pass): the MP4 it was copied from is the reference.
 */
function seekReference(name: Fixture): Fixture {
  return name === 'hevc.ts' ? 'hevc.mp4' : name === 'open-gop-hevc.ts' ? 'open-gop-hevc.mp4' : name;
}

const hash = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('indexed sampling (real ffmpeg)', () => {
  const times = [0, 0.37, 1.02, 2.3, 3.5, 3.96, 4.71, 5.55];
  for (const name of ['h264.mp4', 'rotated.mov', 'offset.mp4', 'cut.mp4', 'vfr.mp4', 'hevc.mp4', 'sample.mp4'] as const) {
    it(`gives ${name} the same frames, byte for byte, at the same times as one seek per frame`, async () => {
      const indexed = await sample(name, times, 'auto');
      assert.match(indexed.notes.join('\n'), /indexed \d+ frames/);
      // Every frame from the long-lived decoder: a fallback would match the seek path trivially.
      assert.doesNotMatch(indexed.notes.join('\n'), /took the per-frame seek/);
      const seek = await sample(name, times, 'seek');
      assert.deepEqual(seek.notes, []);
      assert.ok(indexed.frames.every((frame) => frame.status === 'sampled'), JSON.stringify(outcome(indexed.frames).map((o) => (o as unknown[])[0])));
      assert.deepEqual(outcome(indexed.frames), outcome(seek.frames));
    });
  }

  for (const name of ['h264.mp4', 'hevc.mp4'] as const) {
    it(`walks each GOP of ${name} once for dense targets (every 0.1 s, several per GOP), frames identical to one seek per frame`, async () => {
      const dense = Array.from({ length: 30 }, (_, i) => Math.round(i * 0.1 * 1000) / 1000);
      const indexed = await sample(name, dense, 'auto');
      assert.doesNotMatch(indexed.notes.join('\n'), /took the per-frame seek/);
      assert.deepEqual(outcome(indexed.frames), outcome((await sample(name, dense, 'seek')).frames));
    });
  }

  // Other containers, open GOPs: the same frames as one seek per frame, none of them falling back.
  for (const [name, container] of [
    ['h264-copy.mkv', 'Matroska, h264'], ['h264.mkv', 'Matroska, h264'], ['hevc.mkv', 'Matroska, hevc'], ['vp9.webm', 'WebM, vp9'],
    ['h264-copy.ts', 'MPEG-TS, h264'], ['h264.ts', 'MPEG-TS, h264'], ['late-start.ts', 'MPEG-TS, h264'], ['hevc.ts', 'MPEG-TS, hevc'], ['open-gop-hevc.ts', 'MPEG-TS, hevc'], ['open-gop.mp4', 'MP4, h264'], ['open-gop-hevc.mp4', 'MP4, hevc'], ['open-gop.mkv', 'Matroska, h264'],
    ['live.webm', 'WebM, vp9'],
  ] as const) {
    it(`gives ${name} the same frames, byte for byte, at the same times as one seek per frame, none falling back`, async () => {
      const indexed = await sample(name, times, 'auto');
      assert.match(indexed.notes.join('\n'), new RegExp(`indexed \\d+ frames \\(${container}\\)`));
      assert.doesNotMatch(indexed.notes.join('\n'), /took the per-frame seek/);
      const seek = await sample(seekReference(name), times, 'seek');
      assert.ok(indexed.frames.every((frame) => frame.status === 'sampled'), JSON.stringify(outcome(indexed.frames).map((o) => (o as unknown[])[0])));
      assert.deepEqual(outcome(indexed.frames), outcome(seek.frames));
    });
  }

  // framescore reads Matroska from block headers; mediabunny's demuxer (the reference it replaced) reads whole clusters.
  for (const name of ['h264-copy.mkv', 'h264.mkv', 'hevc.mkv', 'vfr.mkv', 'open-gop.mkv', 'vp9.webm'] as const) {
    it(`indexes ${name} from its block headers as mediabunny's demuxer does: the same times, key flags and codec record`, async () => {
      const source = await openByteSource(await fixture(name));
      try {
        const own = await readMatroskaIndex(source);
        const reference = await readDemuxedIndex(source);
        assert.ok('index' in own && 'index' in reference);
        assert.deepEqual([...own.index.times], [...reference.index.times]);
        assert.deepEqual([...own.index.keyframes], [...reference.index.keyframes]);
        assert.deepEqual(own.index.decoderConfig, reference.index.decoderConfig);
        await reference.index.close();
      } finally {
        await source.close();
      }
    });
  }

  // The function's side cuts a job's frames out of its byte ranges: the same segment the local sampler reads.
  for (const name of ['h264.mp4', 'h264-copy.mkv', 'open-gop.mkv', 'vp9.webm', 'h264.ts', 'hevc.ts'] as const) {
    it(`plans ${name}'s decode jobs from its index: each job's bytes give the segment the local sampler reads`, async () => {
      const source = await openByteSource(await fixture(name));
      try {
        const reading = await readVideoIndex(source);
        assert.ok('index' in reading);
        const { index } = reading;
        const jobs = jobTrackOf(index);
        assert.ok(jobs !== undefined, `${name} travels as GOP jobs`);
        const keys = [...index.keyframes.keys()].filter((sample) => index.keyframes[sample] === 1);
        for (const start of keys.slice(0, 3)) {
          const targets = [start, Math.min(index.sampleCount - 1, start + 7)].filter((sample, i, all) => all.indexOf(sample) === i);
          const last = Math.max(...targets);
          const spans = jobs.index.spans(start, last);
          assert.ok(typeof spans !== 'string', String(spans));
          const from = Math.min(...spans.offsets);
          const to = Math.max(...spans.offsets.map((offset, i) => offset + spans.sizes[i]!));
          const gop = { offsets: [...spans.offsets], sizes: [...spans.sizes], times: Array.from(index.times.subarray(start, last + 1)), targets: [] };
          const remote = segmentOfJob(await source.read(from, to - from), from, gop, jobs.track, targets.map((sample) => sample - start));
          const local = await index.readFrames(start, targets);
          assert.ok(typeof remote !== 'string' && typeof local !== 'string', `${String(remote)} / ${String(local)}`);
          assert.deepEqual(remote.targets, local.targets);
          assert.deepEqual(remote.frames.map((frame) => [frame.time, frame.keyframe, hash(frame.data)]), local.frames.map((frame) => [frame.time, frame.keyframe, hash(frame.data)]));
        }
        await index.close();
      } finally {
        await source.close();
      }
    });
  }

  it('indexes a live WebM (no Cues, no duration, Segment and Clusters of unknown size) by one walk over its block headers', async () => {
    const file = await fixture('live.webm');
    const bytes = await readFile(file);
    const cluster = bytes.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
    assert.ok(cluster > 0);
    assert.equal(elementHeader(bytes, cluster)?.size, undefined, 'the fixture\'s clusters are of unknown size');
    const source = await openByteSource(file);
    try {
      const own = await readMatroskaIndex(source, [1, 3]);
      assert.ok('index' in own, JSON.stringify(own));
      // With no Cues there is nothing to read around: one walk over every block header.
      assert.equal(own.index.partial, undefined);
      assert.equal(own.index.sampleCount, 150);
      assert.deepEqual([...own.index.keyframes.keys()].filter((frame) => own.index.keyframes[frame] === 1), [0, 25, 50, 75, 100, 125]);
    } finally {
      await source.close();
    }
  });

  for (const name of ['open-gop.mp4', 'open-gop-hevc.mp4', 'h264.ts', 'hevc.mkv', 'open-gop-hevc.ts'] as const) {
    it(`walks ${name} densely (every 0.04–0.1 s, across keyframes and their leading pictures), frames identical to one seek per frame`, async () => {
      const dense = [...Array.from({ length: 30 }, (_, i) => Math.round(i * 0.1 * 1000) / 1000), 1.85, 1.89, 1.93, 1.97, 2.01, 3.87, 3.91, 3.95, 3.99, 4.03];
      const indexed = await sample(name, dense, 'auto');
      assert.doesNotMatch(indexed.notes.join('\n'), /took the per-frame seek/);
      assert.deepEqual(outcome(indexed.frames), outcome((await sample(seekReference(name), dense, 'seek')).frames));
    });
  }

  // Sparse times in a long Matroska/WebM are read around each one (its keyframe from the Cues, that GOP's packets),
  // not by a pass over the file. The probe's duration decides; a longer one than these files' makes them count as sparse.
  // MPEG-TS likewise, by bisecting the file on PES decode times.
  for (const name of ['h264-copy.mkv', 'hevc.mkv', 'open-gop.mkv', 'vp9.webm', 'h264.ts', 'late-start.ts', 'hevc.ts', 'open-gop-hevc.ts'] as const) {
    it(`reads ${name} only around sparse times, frames identical to one seek per frame, none falling back`, async () => {
      const file = await fixture(name);
      const media = await probeMedia(ffprobe, file, file);
      // Leading pictures (1.92 and 1.96 in open-gop.mkv, 1.96 in the HEVC) alone in their group, then groups that meet and are read as one stretch.
      for (const sparse of [[0.37, 1.9, 1.95, 1.99, 5.55, 5.9], [0.5, 2.3, 3.93, 4.01]]) {
        const around = await sample(name, sparse, 'indexed', { media: { ...media, duration: 1000 } });
        assert.match(around.notes.join('\n'), /indexed \d+ frames \((Matroska|WebM|MPEG-TS), \w+\) in \d+ stretch(es)? around the requested times/);
        assert.doesNotMatch(around.notes.join('\n'), /took the per-frame seek/);
        // How dense is dense is each container's cost model (Matroska reads around times 4 s apart, MPEG-TS 6 s): a 1-second duration makes any times dense.
        const whole = await sample(name, sparse, 'indexed', { media: { ...media, duration: 1 } });
        assert.doesNotMatch(whole.notes.join('\n'), /around the requested times/, 'times denser than the cost model\'s threshold: one pass');
        assert.ok(around.frames.every((frame) => frame.status === 'sampled'));
        assert.deepEqual(outcome(around.frames), outcome((await sample(seekReference(name), sparse, 'seek')).frames));
        assert.deepEqual(outcome(around.frames), outcome(whole.frames));
        const keyframes = await sample(name, sparse, 'indexed', { media: { ...media, duration: 1000 }, keyframes: true });
        assert.doesNotMatch(keyframes.notes.join('\n'), /took the per-frame seek/);
        assert.deepEqual(outcome(keyframes.frames), outcome((await sample(name, sparse, 'indexed', { media, keyframes: true })).frames));
      }
    });
  }

  for (const name of ['spliced.ts', 'spliced.mkv'] as const) {
    it(`reads ${name}, spliced from two encodes, around sparse times with the reordering of the part each time is in, not the first SPS's`, async () => {
      const file = await fixture(name);
      const media = await probeMedia(ffprobe, file, file);
      // Times in the B-frame half where stopping one frame past the time (the Baseline SPS's depth, 0) picks a later frame.
      const sparse = [0.5, 2.2, 4.49, 4.5, 6.05, 7.29, 7.3];
      const around = await sample(name, sparse, 'indexed', { media: { ...media, duration: 1000 } });
      assert.match(around.notes.join('\n'), /in \d+ stretch(es)? around the requested times/);
      assert.doesNotMatch(around.notes.join('\n'), /took the per-frame seek/);
      // The oracle: one ffmpeg decoding the whole file (ffmpeg's seek into the splice fails a frame).
      const decode = await fullDecode(file, 32, 24);
      for (const keyframes of [false, true]) {
        const frames = keyframes ? (await sample(name, sparse, 'indexed', { media: { ...media, duration: 1000 }, keyframes: true })).frames : around.frames;
        for (const [n, time] of sparse.entries()) {
          const expected = expectedFrame(decode, time, { keyframes, damagedEnd: false });
          const frame = frames[n]!;
          assert.ok(expected.kind === 'frame' && frame.status === 'sampled', `${time}${keyframes ? ' (keyframes)' : ''}: ${frame.status}`);
          assert.ok(Math.abs((frame.actualTime ?? NaN) - expected.frame.time) < 1e-3, `${time}${keyframes ? ' (keyframes)' : ''}: framescore gave the frame at ${frame.actualTime}, a full decode shows ${expected.frame.time}`);
        }
      }
      // And the same pictures as a pass over the whole index.
      assert.deepEqual(outcome(around.frames), outcome((await sample(name, sparse, 'indexed', { media: { ...media, duration: 1 } })).frames));
    });
  }

  it('reads an MPEG-TS with a timestamp discontinuity around sparse times: the same frames and failures as a pass over it', async () => {
    const file = await fixture('discontinuity.ts');
    const media = await probeMedia(ffprobe, file, file);
    const jumpy = [0, 1.02, 5.5, 11.9, 13, 17, 20.1, 22, 25.3];
    const around = await sample('discontinuity.ts', jumpy, 'indexed', { media: { ...media, duration: 1000 } });
    assert.match(around.notes.join('\n'), /indexed \d+ frames \(MPEG-TS, h264\) in \d+ stretch(es)? around the requested times/);
    assert.doesNotMatch(around.notes.join('\n'), /took the per-frame seek/);
    const whole = await sample('discontinuity.ts', jumpy, 'indexed', { media });
    assert.doesNotMatch(whole.notes.join('\n'), /around the requested times/);
    assert.deepEqual(outcome(around.frames), outcome(whole.frames));
    // 13 and 17 lie in the gap before the second part: they get its first frame (README: which frame a time gets).
    assert.equal(around.frames.filter((frame) => frame.status === 'sampled').length, 9);
  });

  it('reads an MPEG-TS with a long still slate around sparse times: far apart in time is not a clock jump', async () => {
    const file = await fixture('slate.ts');
    const media = await probeMedia(ffprobe, file, file);
    const source = await openByteSource(file);
    try {
      const index = await readMpegTsIndex(source, [3, 20, 33.3, 44]);
      assert.match(index?.partial ?? 'read whole', /around the requested times/);
    } finally {
      await source.close();
    }
    const slate = [3, 20, 33.3, 44];
    const around = await sample('slate.ts', slate, 'indexed', { media: { ...media, duration: 1000 } });
    assert.match(around.notes.join('\n'), /in \d+ stretch(es)? around the requested times/);
    assert.ok(around.frames.every((frame) => frame.status === 'sampled'));
    assert.deepEqual(outcome(around.frames), outcome((await sample('slate.ts', slate, 'indexed', { media })).frames));
  });

  it('indexes a whole MPEG-TS whose clock goes back (a looped capture) even for sparse times, on a full decode\'s continuous timeline', async () => {
    // ffprobe finds no duration for such a file, so the CLI refuses it; the index alone must still not mis-order it.
    const source = await openByteSource(await fixture('looped.ts'));
    try {
      const around = await readMpegTsIndex(source, [21, 3.3, 5.1]);
      const whole = await readMpegTsIndex(source);
      assert.ok(around !== undefined && whole !== undefined);
      assert.equal(around.partial, undefined, 'read by a pass over the file');
      assert.deepEqual(around.times, whole.times);
      // ffmpeg's full decode closes the jump back (one frame after the last): so does the index, and says so.
      assert.ok(whole.times.every((time, i) => i === 0 || time > whole.times[i - 1]! - 1), 'the times continue across the jump');
      assert.match(whole.damage ?? '', /clock jumps 1×/);
    } finally {
      await source.close();
    }
  });

  it('seeks HEVC in MPEG-TS early when the probe says so: the same frames as the MP4 it was copied from', async () => {
    const file = await fixture('hevc.ts');
    const media = await probeMedia(ffprobe, file, file);
    const seek = await sample('hevc.ts', times, 'seek', { media });
    assert.deepEqual(outcome(seek.frames), outcome((await sample('hevc.mp4', times, 'seek')).frames));
  });

  it('gives an MPEG-TS with a timestamp discontinuity (two files joined with cat) the same frames and failures as one seek per frame', async () => {
    // 0–12 s in the first part, nothing from 12 s to 19.9 s (13 and 17 get the frame at 19.9 s on both paths), then the second part.
    const jumpy = [0, 1.02, 5.5, 11.9, 13, 17, 20.1, 22, 25.3];
    const indexed = await sample('discontinuity.ts', jumpy, 'auto');
    assert.match(indexed.notes.join('\n'), /indexed \d+ frames \(MPEG-TS, h264\)/);
    assert.doesNotMatch(indexed.notes.join('\n'), /took the per-frame seek/);
    const seek = await sample('discontinuity.ts', jumpy, 'seek');
    assert.deepEqual(outcome(indexed.frames), outcome(seek.frames));
    assert.equal(indexed.frames.filter((frame) => frame.status === 'sampled').length, 9);
  });

  it('with --keyframes gives the keyframe at or before each time, as the seek does', async () => {
    const keyTimes = [0.5, 2.3, 4.71, 6.2];
    const indexed = await sample('h264.mp4', keyTimes, 'auto', { keyframes: true });
    assert.doesNotMatch(indexed.notes.join('\n'), /took the per-frame seek/);
    assert.deepEqual(indexed.frames.map((frame) => frame.actualTime), [0, 2, 4, 6]);
    assert.deepEqual(outcome(indexed.frames), outcome((await sample('h264.mp4', keyTimes, 'seek', { keyframes: true })).frames));
  });

  it('with --keyframes gives an MPEG-TS the keyframe at or before each time (where the per-frame seek lands one keyframe late)', async () => {
    const keyTimes = [0.5, 2.3, 4.71, 5.2];
    const indexed = await sample('h264.ts', keyTimes, 'auto', { keyframes: true });
    assert.doesNotMatch(indexed.notes.join('\n'), /took the per-frame seek/);
    assert.deepEqual(indexed.frames.map((frame) => frame.actualTime), [0, 2, 4, 5]);
    // ffmpeg's -noaccurate_seek in an MPEG-TS lands on the keyframe after the time (1, 3, 5, 6 here): the seek path's
    // known overshoot, which exact mode corrects by seeking early; the pictures at the same keyframes are identical.
    const seek = await sample('h264.ts', [0, 2, 4, 5], 'seek', { keyframes: true });
    assert.deepEqual(outcome(indexed.frames).map((o) => (o as unknown[])[1]), outcome(seek.frames).map((o) => (o as unknown[])[1]));
  });

  for (const name of ['hevc.mkv', 'vp9.webm', 'open-gop-hevc.mp4'] as const) {
    it(`with --keyframes gives ${name} the keyframe at or before each time, as the seek does, none falling back`, async () => {
      const keyTimes = [0.5, 2.3, 4.71, 5.2];
      const indexed = await sample(name, keyTimes, 'auto', { keyframes: true });
      assert.doesNotMatch(indexed.notes.join('\n'), /took the per-frame seek/);
      assert.deepEqual(outcome(indexed.frames), outcome((await sample(name, keyTimes, 'seek', { keyframes: true })).frames));
    });
  }

  for (const [name, why] of [['mpeg4.avi', /not an MP4\/MOV, Matroska, WebM or MPEG-TS file/]] as const) {
    it(`falls back to one seek per frame for ${name}, and says why`, async () => {
      const { frames, notes } = await sample(name, [0.5, 2.3], 'auto');
      assert.match(notes.join('\n'), /one ffmpeg seek per frame/);
      assert.match(notes.join('\n'), why);
      for (const frame of frames) {
        assert.equal(frame.status, 'sampled');
        const late = (frame.actualTime ?? Infinity) - frame.requestedTime;
        assert.ok(late >= -1e-3 && late < 0.05, `${name} @${frame.requestedTime}: actual ${frame.actualTime}`);
      }
    });
  }

  it('fails only the frames in a corrupt stretch, decoding those around it', async () => {
    const { frames, notes } = await sample('corrupt-middle.mp4', [1.5, 3, 6, 6.5, 11], 'auto');
    assert.match(notes.join('\n'), /\d+ frames? took the per-frame seek: \d+× damaged data/);
    const [before, alsoBefore, inside, alsoInside, after] = frames;
    for (const frame of [before, alsoBefore, after]) assert.ok(frame?.status === 'sampled' && Math.abs((frame.actualTime ?? Infinity) - frame.requestedTime) < 0.05, JSON.stringify(frame?.status));
    for (const frame of [inside, alsoInside]) assert.equal(frame?.status, 'failed');
  });

  it('fails only the frames past the end of a truncated file', async () => {
    const { frames } = await sample('truncated.mp4', [1, 2.5, 10, 11], 'auto');
    assert.deepEqual(frames.map((frame) => frame.status), ['sampled', 'sampled', 'failed', 'failed']);
  });

  it('stops promptly when the run is interrupted', async () => {
    const controller = new AbortController();
    const file = await fixture('sample.mp4');
    const media = await probeMedia(ffprobe, file, file);
    const plan = Array.from({ length: 150 }, (_, index) => ({ index, requestedTime: (index + 0.5) * media.duration / 150 }));
    let seen = 0;
    let decodersAtAbort = 0;
    for await (const frame of sampleFrames(plan, {
      ffmpeg, input: file, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: media.startTime,
      stillImage: false, timeoutMs: 30_000, concurrency: 2, signal: controller.signal,
    })) {
      assert.equal(frame.status, 'sampled');
      seen += 1;
      if (seen === 3) {
        decodersAtAbort = await ffmpegChildren();
        controller.abort();
      }
    }
    // Promptly by what it does, not by the clock: the frames stop and every decoder is gone when the run ends.
    assert.ok(decodersAtAbort > 0, 'decoders were running when the run was interrupted');
    assert.ok(seen < 150, `${seen} frames after the abort`);
    assert.equal(await ffmpegChildren(), 0, 'no decoder left running after the interrupted run');
  });
});

/** ffmpeg processes this process started that are still running (Linux /proc). */
async function ffmpegChildren(): Promise<number> {
  let count = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (match && match[2] === String(process.pid) && match[1]!.startsWith('ffmpeg')) count += 1;
  }
  return count;
}

/**
 * Resolves once every ffmpeg this process started is blocked (state S: waiting for input
 * or output) and has used no CPU between two looks: the decoders have nothing left to do.
 * Waits with a `sleep` subprocess, not a timer, so it works while the test mocks timers.
 */
async function decodersIdle(): Promise<void> {
  let before = '';
  for (;;) {
    const now = await ffmpegCpu();
    if (now !== undefined && now === before) return;
    before = now ?? '';
    await once(spawn('sleep', ['0.1'], { stdio: 'ignore' }), 'exit');
  }
}

/** The CPU ticks of this process's ffmpeg children, or undefined while one of them is runnable. */
async function ffmpegCpu(): Promise<string | undefined> {
  const ticks: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const match = /^\d+ \((.*)\) (\S) (\d+)((?: \S+){9}) (\d+) (\d+)/.exec(stat);
    if (!match || match[3] !== String(process.pid) || !match[1]!.startsWith('ffmpeg')) continue;
    if (match[2] !== 'S') return undefined;
    ticks.push(`${entry}:${match[5]}+${match[6]}`);
  }
  return ticks.sort().join(',');
}

describe('indexed sampling: consumers that stop or stall (real ffmpeg)', () => {
  const planFor = (duration: number, frames: number): PlannedFrame[] => Array.from({ length: frames }, (_, index) => ({ index, requestedTime: (index + 0.5) * duration / frames }));

  it('stops its decoders when the consumer stops early', async () => {
    const file = await fixture('sample.mp4');
    const media = await probeMedia(ffprobe, file, file);
    let seen = 0;
    let running = 0;
    for await (const frame of sampleFrames(planFor(media.duration, 150), {
      ffmpeg, input: file, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: media.startTime,
      stillImage: false, timeoutMs: 30_000, concurrency: 2,
    })) {
      assert.equal(frame.status, 'sampled');
      if (++seen === 3) {
        running = await ffmpegChildren();
        break;
      }
    }
    assert.ok(running > 0, 'decoders were running when the consumer stopped');
    assert.equal(await ffmpegChildren(), 0, 'no decoder left running');
  });

  it('does not give up on a decoder while the consumer is slower than the frame timeout', async (t) => {
    const file = await fixture('h264.mp4');
    const media = await probeMedia(ffprobe, file, file);
    // The decoders' watchdog runs on a clock the test moves: however slow this machine
    // decodes, no timeout fires unless the test advances the clock.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const options: SamplerOptions = {
      ffmpeg, input: file, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: media.startTime,
      stillImage: false, timeoutMs: 400, concurrency: 2,
    };
    const video = await openIndexedVideo(options);
    assert.ok(typeof video !== 'string', String(video));
    let seeks = 0;
    let seen = 0;
    try {
      // More frames than the sampler holds for a consumer (32): while the consumer stalls the lanes
      // stop feeding, and each decoder holds a target it cannot output before its next segment.
      // Every 65 ms up to 7.7 s of the 8 s clip: each time has a frame at or after it.
      const plan = Array.from({ length: 120 }, (_, index): PlannedFrame => ({ index, requestedTime: index * 0.065 }));
      for await (const frame of video.sample(plan, () => { seeks += 1; return Promise.reject(new Error('no seek expected')); })) {
        assert.equal(frame.status, 'sampled', frame.status === 'failed' ? frame.message : '');
        if (++seen % 30 === 1) {
          // The consumer stalls: once the decoders have done all the work they were given and
          // wait for input, a minute passes on their clock (150 timeouts) before it takes the next frame.
          await decodersIdle();
          t.mock.timers.tick(60_000);
        }
      }
    } finally {
      await video.close();
    }
    assert.equal(seen, 120);
    assert.equal(seeks, 0);
  });
});

async function firstSegment(name: Fixture, time: number): Promise<{ track: Mp4VideoTrack; segment: CodedSegment }> {
  const source = await openByteSource(await fixture(name));
  try {
    const reading = await readMp4VideoTrack(source);
    if ('unsupported' in reading) throw new Error(reading.unsupported);
    const chooser = new FrameChooser(reading.track);
    const target = chooser.target(time, false)!;
    const segment = await readSegment(source, reading.track, chooser.start(target)!, target);
    if (typeof segment === 'string') throw new Error(segment);
    return { track: reading.track, segment };
  } finally {
    await source.close();
  }
}

describe('stream decoder (real ffmpeg)', () => {
  it('answers a request held for reordering when the stream ends, and rejects a damaged frame instead of concealing it', async () => {
    const { track, segment } = await firstSegment('h264.mp4', 0.7);
    assert.ok(segment.frames.length > 1, 'the target needs reference frames before it');
    const options = { ffmpeg, width: 224, height: 224, fit: 'crop' as const, rotation: 0, timeoutMs: 20_000, frameFormat: 'jpeg' as const };

    const healthy = new StreamDecoder({ ...options, feed: createFeed(track) });
    const [answer] = healthy.decode(segment);
    await healthy.end();
    assert.equal(frameBytes(await answer!).subarray(0, 2).toString('hex'), 'ffd8');

    // Scramble the target's slice data (past the NAL headers): the decoder must stop, not invent a picture.
    const target = segment.frames[segment.targets[0]!]!;
    const damaged = Buffer.from(target.data);
    for (let i = Math.min(40, damaged.length - 1); i < damaged.length; i += 1) damaged[i] = (i * 37) & 0xff;
    const frames = segment.frames.map((frame, i) => (i === segment.targets[0] ? { ...frame, data: damaged } : frame));
    const broken = new StreamDecoder({ ...options, feed: createFeed(track) });
    const [rejected] = broken.decode({ frames, targets: segment.targets });
    // Awaited from the start: the decoder may reject while it is still ending (ffmpeg 4.1 reports the damage on stderr and carries on).
    const refused = assert.rejects(rejected!, StreamDecodeError);
    await broken.end();
    await refused;
  });
});

describe('framescore classify --sampler', () => {
  it('refuses an unknown sampling method with exit code 2', async () => {
    const result = await runCli(['classify', await fixture('h264.mp4'), '--sampler', 'fastest']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--sampler/);
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { readMpegTsIndex, readMpegTsLastPts } from '../../src/media/mpeg-ts/mpeg-ts-index.js';
import { checkLocalFile, probeMedia } from '../../src/media/probe.js';
import { runProcess } from '../../src/media/process.js';
import { openByteSource } from '../../src/media/source/byte-source.js';
import { fixture } from '../helpers/videos.js';

const { ffmpeg, ffprobe } = resolveBinaries();
const probe = async (name: Parameters<typeof fixture>[0]) => {
  const file = await fixture(name);
  return probeMedia(ffprobe, file, file);
};

describe('probe (real ffprobe on real files)', () => {
  it('reads MP4/H.264 facts', async () => {
    const info = await probe('h264.mp4');
    assert.equal(info.codec, 'h264');
    assert.match(info.container, /mp4/);
    assert.equal(info.width, 320);
    assert.equal(info.height, 240);
    assert.equal(info.frameRate, 25);
    assert.ok(Math.abs(info.duration - 8) < 0.1, `duration ${info.duration}`);
    assert.equal(info.stillImage, false);
    assert.equal(info.rotation, 0);
  });

  it('reads MKV, AVI/MPEG-4 Part 2 and MPEG-TS with its start offset', async () => {
    const mkv = await probe('h264.mkv');
    assert.match(mkv.container, /matroska/);
    assert.equal(mkv.frameRate, 30);
    const avi = await probe('mpeg4.avi');
    assert.equal(avi.container, 'avi');
    assert.equal(avi.codec, 'mpeg4');
    assert.equal(avi.frameRate, 24);
    const ts = await probe('h264.ts');
    assert.equal(ts.container, 'mpegts');
    assert.ok(ts.startTime > 1, `MPEG-TS start time ${ts.startTime}`);
  });

  it('reports rotation and the displayed (rotated) size of a MOV with a rotation tag', async () => {
    const info = await probe('rotated.mov');
    assert.ok(info.rotation === 90 || info.rotation === 270, `rotation ${info.rotation}`);
    assert.equal(info.width, 240);
    assert.equal(info.height, 320);
  });

  it('recognises still images', async () => {
    const png = await probe('still.png');
    assert.equal(png.stillImage, true);
    assert.equal(png.duration, 0);
    assert.equal((await probe('still.jpg')).stillImage, true);
  });

  it('says plainly what is wrong with inputs that are not videos', async () => {
    await assert.rejects(probe('audio-only.m4a'), (error: unknown) => error instanceof InputError && /no video stream \(only audio\)/.test(error.message));
    await assert.rejects(probe('not-a-video.mp4'), (error: unknown) => error instanceof InputError && /not a video|cannot read video/.test(error.message));
    await assert.rejects(checkLocalFile(await fixture('empty.mp4')), /the file is empty/);
    await assert.rejects(checkLocalFile('/no/such/file.mp4'), /no such file/);
    await assert.rejects(checkLocalFile('/tmp'), /it is a directory/);
  });

  it('takes an MPEG-TS\'s last frame from its own walk over the file\'s tail: ffprobe\'s packet scan of the whole stream agrees', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-probe-'));
    try {
      // Larger than the 512 kB tail the walk starts with, and at a bit rate where that tail holds fewer than 17 frames (it reads on).
      const lossless = path.join(dir, 'lossless.ts');
      await runProcess(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', '25', '-bf', '3', '-pix_fmt', 'yuv420p', '-f', 'mpegts', lossless], { timeoutMs: 300_000 });
      const files = [lossless, ...await Promise.all((['h264.ts', 'late-start.ts', 'slate.ts', 'hevc.ts', 'open-gop-hevc.ts', 'h264-copy.ts'] as const).map(fixture))];
      for (const file of files) {
        const info = await probeMedia(ffprobe, file, file);
        const source = await openByteSource(file);
        try {
          assert.notEqual(await readMpegTsLastPts(source), undefined, `${file}: the walk found the last frame`);
        } finally {
          await source.close();
        }
        const { stdout } = await runProcess(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
        const last = Math.max(...stdout.toString('utf8').split('\n').map((line) => Number(line.split(',')[0])).filter((pts) => Number.isFinite(pts) && pts > 0));
        assert.ok(Math.abs(info.lastFrameTime! - (last - info.startTime)) < 1e-6, `${file}: last frame ${info.lastFrameTime} s, ffprobe's packets ${last - info.startTime} s`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says an MPEG-TS\'s clock is continuous once its probes saw no jump; reading around times then skips them, with the same frames', async () => {
    const file = await fixture('h264.ts');
    assert.equal((await probeMedia(ffprobe, file, file)).clockContinuous, true);
    const joined = await probeMedia(ffprobe, await fixture('looped.ts'), 'looped.ts');
    assert.equal(joined.clockJumps, true);
    assert.equal(joined.clockContinuous, undefined);
    const around = async (clockContinuous: boolean): Promise<{ read: number; times: number[]; keys: number[] }> => {
      const source = await openByteSource(file);
      let read = 0;
      const counted = { size: source.size, close: () => source.close(), read: async (offset: number, length: number) => { const bytes = await source.read(offset, length); read += bytes.length; return bytes; } };
      try {
        const index = await readMpegTsIndex(counted, [2, 7.5], clockContinuous);
        assert.ok(index !== undefined && index.partial !== undefined, 'read around the times');
        return { read, times: [...index.times], keys: [...index.keyframes] };
      } finally {
        await source.close();
      }
    };
    const [checked, told] = [await around(false), await around(true)];
    assert.deepEqual(told.times, checked.times);
    assert.deepEqual(told.keys, checked.keys);
    assert.ok(told.read < checked.read, `told: ${told.read} bytes, checking: ${checked.read}`);
  });
});

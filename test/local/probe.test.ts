import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { checkLocalFile, probeMedia } from '../../src/media/probe.js';
import { fixture } from '../helpers/videos.js';

const { ffprobe } = resolveBinaries();
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
});

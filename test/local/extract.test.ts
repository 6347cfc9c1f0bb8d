import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { framePixels } from '../../src/core/image-decode.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { extractFrame, FrameExtractError, type ExtractOptions } from '../../src/media/decode/extract.js';
import { probeMedia } from '../../src/media/probe.js';
import { fixture, type Fixture } from '../helpers/videos.js';

const binaries = resolveBinaries();

async function optionsFor(name: Fixture, extra: Partial<ExtractOptions> = {}): Promise<{ options: ExtractOptions; frameRate: number; duration: number }> {
  const file = await fixture(name);
  const info = await probeMedia(binaries.ffprobe, file, file);
  return {
    frameRate: info.frameRate,
    duration: info.duration,
    options: { ffmpeg: binaries.ffmpeg, input: file, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: info.startTime, stillImage: info.stillImage, timeoutMs: 30_000, ...extra },
  };
}

describe('frame extraction (real ffmpeg)', () => {
  for (const name of ['h264.mp4', 'h264.mkv', 'mpeg4.avi', 'h264.ts', 'rotated.mov'] as const) {
    it(`decodes ${name} within one frame of the requested time, at the model's input size`, async () => {
      const { options, frameRate } = await optionsFor(name);
      for (const time of [0.5, 2.3, 4.71]) {
        const frame = await extractFrame(time, options);
        // The first frame at or after the time: never earlier, at most one frame later.
        assert.ok(frame.actualTime >= time - 1e-3 && frame.actualTime - time <= 1 / frameRate + 1e-3, `${name} @${time}: actual ${frame.actualTime}`);
        const image = framePixels(frame.image);
        assert.deepEqual([image.width, image.height], [224, 224]);
      }
    });
  }

  it('reports the real timestamps of a variable-frame-rate file', async () => {
    const { options } = await optionsFor('vfr.mkv');
    // 0–2 s at 10 fps, 2–4 s at 30 fps, 4–6 s at 15 fps.
    for (const [time, step] of [[0.55, 0.1], [2.51, 1 / 30], [4.5, 1 / 15]] as const) {
      const frame = await extractFrame(time, options);
      assert.ok(frame.actualTime >= time - 1e-6 && frame.actualTime - time <= step + 1e-3, `vfr @${time}: actual ${frame.actualTime}`);
    }
  });

  it('with --keyframes returns the keyframe at or before the time', async () => {
    const { options } = await optionsFor('h264.mp4', { keyframes: true });
    for (const time of [2.3, 5.9]) {
      const frame = await extractFrame(time, options);
      assert.equal(frame.actualTime, Math.floor(time), `keyframe for ${time}`);
    }
  });

  it('fails only the frames past the end of a truncated file', async () => {
    const { options } = await optionsFor('truncated.mp4');
    assert.ok((await extractFrame(1, options)).actualTime >= 1);
    await assert.rejects(extractFrame(11, options), (error: unknown) => error instanceof FrameExtractError && ['NO_FRAME', 'DECODE_FAILED', 'SEEK_MISSED'].includes(error.code));
  });

  it('fails only the frames in a corrupt stretch', async () => {
    const { options } = await optionsFor('corrupt-middle.mp4');
    assert.ok(Math.abs((await extractFrame(1.5, options)).actualTime - 1.5) < 0.05);
    assert.ok(Math.abs((await extractFrame(11, options)).actualTime - 11) < 0.05);
    await assert.rejects(extractFrame(6, options), (error: unknown) => error instanceof FrameExtractError);
  });

  it('scores a still image as one frame', async () => {
    const { options } = await optionsFor('still.png');
    const frame = await extractFrame(0, options);
    assert.equal(frame.actualTime, 0);
    // Not scaled by ffmpeg: the classifier fits a still exactly as it fits a JPEG/PNG file.
    assert.deepEqual([framePixels(frame.image).width, framePixels(frame.image).height], [640, 360]);
  });
});

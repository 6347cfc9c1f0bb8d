/**
 * framescore's scores equal nsfwjs's own classify() (the peer implementation of the
 * bundled model) within 1e-4 on the same decoded pixels: through the core
 * classifier, and through the CLI as a user runs it on image files of several sizes
 * (`--fit stretch` is exactly nsfwjs; `--fit crop` crops, then the same kernel).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import * as tfjs from '@tensorflow/tfjs';
import * as nsfwjs from 'nsfwjs';
import { Classifier } from '../../src/core/classifier.js';
import { decodeImage, framePixels, type RgbImage } from '../../src/core/image-decode.js';
import { readModelBundle } from '../../src/core/model-files.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { cropRegion } from '../../src/core/preprocess.js';
import { activateBackend } from '../../src/core/tf-backend.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { extractFrame } from '../../src/media/decode/extract.js';
import { wasmDirectory } from '../../src/run/local/backend.js';
import { DEFAULT_MODEL_DIR } from '../../src/run/paths.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { fixture } from '../helpers/videos.js';

let ours: Classifier;
let peer: nsfwjs.NSFWJS;

before(async () => {
  await activateBackend('wasm', { wasmDir: wasmDirectory() });
  ours = await Classifier.load(await readModelBundle(directoryModelFiles(DEFAULT_MODEL_DIR)));
  const info = console.info;
  console.info = () => {}; // nsfwjs announces which model it loads
  try {
    peer = await nsfwjs.load('MobileNetV2');
  } finally {
    console.info = info;
  }
});

async function peerScores(image: RgbImage): Promise<Record<string, number>> {
  const tensor = tfjs.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  const predictions = await peer.classify(tensor, 5);
  tensor.dispose();
  return Object.fromEntries(predictions.map((p: { className: string; probability: number }) => [p.className, p.probability]));
}

function assertClose(actual: Record<string, number>, expected: Record<string, number>, what: string, tolerance = 1e-4): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), what);
  for (const [label, score] of Object.entries(expected)) {
    const diff = Math.abs((actual[label] ?? NaN) - score);
    assert.ok(diff <= tolerance, `${what}: ${label} framescore ${actual[label]} vs nsfwjs ${score} (off by ${diff})`);
  }
}

/** The centred crop --fit crop takes, as pixels nsfwjs can be given. */
function crop(image: RgbImage): RgbImage {
  const region = cropRegion(image.width, image.height, { width: 224, height: 224 }, 'crop');
  const data = new Uint8Array(region.width * region.height * 3);
  for (let y = 0; y < region.height; y += 1) {
    const from = ((region.y + y) * image.width + region.x) * 3;
    data.set(image.data.subarray(from, from + region.width * 3), y * region.width * 3);
  }
  return { width: region.width, height: region.height, data };
}

describe('parity with nsfwjs', () => {
  it('scores sampled video frames (lossless, 224×224) as nsfwjs scores the same pixels', async () => {
    const { ffmpeg } = resolveBinaries();
    const input = await fixture('h264.mp4');
    for (const time of [1, 3.5, 6]) {
      const frame = await extractFrame(time, { ffmpeg, input, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: 0, stillImage: false, timeoutMs: 30_000 });
      const pixels = framePixels(frame.image);
      const [result] = await ours.classify([frame.image]);
      assert.equal(result?.status, 'ok');
      if (result?.status === 'ok') assertClose(result.scores, await peerScores(pixels), `frame at ${time}s`);
    }
  });

  it('resizes image files of other sizes as nsfwjs does (core classifier, --fit stretch)', async () => {
    for (const name of ['still.jpg', 'still.png'] as const) {
      const bytes = new Uint8Array(await readFile(await fixture(name)));
      const [result] = await ours.classify([bytes], 'stretch');
      assert.equal(result?.status, 'ok');
      if (result?.status === 'ok') assertClose(result.scores, await peerScores(decodeImage(bytes)), name);
    }
  });

  it('framescore classify IMAGE --local equals nsfwjs on the decoded pixels, at several sizes (--fit stretch; --fit crop = crop, then nsfwjs)', async () => {
    const dir = await tempDir('parity');
    const { ffmpeg } = resolveBinaries();
    // Square, 3:2, 16:9, 9:16, smaller and larger than 224; a real-world-like texture.
    const sizes = ['224x224', '300x200', '640x360', '90x160', '120x120', '1000x1000'];
    const files = sizes.map((size) => path.join(dir, `photo-${size}.png`));
    for (const [i, size] of sizes.entries()) {
      await promisify(execFile)(ffmpeg, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}`, '-vf', 'noise=alls=40:allf=t', '-frames:v', '1', files[i]!]);
    }
    // One run per --fit scores every size (each input gets its own report, in order): a user's run over several photos.
    for (const fit of ['stretch', 'crop'] as const) {
      const run = await runCli(['classify', ...files, '--local', '--fit', fit, '--format', 'json', '-o', '-', '--quiet']);
      assert.equal(run.code, 0, run.stderr);
      const reports = run.stdout.split(/\n(?=\{\n {2}"schema")/).map((text) => JSON.parse(text) as { video: { source: string }; frames: Array<{ status: string; scores: Record<string, number> }> });
      assert.deepEqual(reports.map((report) => report.video.source).sort(), [...files].sort(), 'one report per input');
      for (const [i, size] of sizes.entries()) {
        const report = reports.find((each) => each.video.source === files[i])!;
        assert.equal(report.frames.length, 1);
        const pixels = decodeImage(new Uint8Array(await readFile(files[i]!)));
        const expected = await peerScores(fit === 'stretch' ? pixels : crop(pixels));
        assertClose(report.frames[0]!.scores, expected, `${size} --fit ${fit}`);
      }
    }
  });
});

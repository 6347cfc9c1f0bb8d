/**
 * framescore's scores equal nsfwjs's own classify() for the same image within 1e-4
 * (the peer implementation of the bundled model), for a frame at the model's size
 * and for images that need resizing.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import * as tfjs from '@tensorflow/tfjs';
import * as nsfwjs from 'nsfwjs';
import { Classifier } from '../../src/core/classifier.js';
import { decodeImage } from '../../src/core/image-decode.js';
import { readModelBundle } from '../../src/core/model-files.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { activateBackend } from '../../src/core/tf-backend.js';
import { resolveBinaries } from '../../src/cli/ffmpeg/binaries.js';
import { extractFrame } from '../../src/cli/ffmpeg/extract.js';
import { wasmDirectory } from '../../src/cli/local/backend.js';
import { DEFAULT_MODEL_DIR } from '../../src/cli/paths.js';
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

async function peerScores(bytes: Uint8Array): Promise<Record<string, number>> {
  const image = decodeImage(bytes);
  const tensor = tfjs.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  const predictions = await peer.classify(tensor, 5);
  tensor.dispose();
  return Object.fromEntries(predictions.map((p: { className: string; probability: number }) => [p.className, p.probability]));
}

async function assertParity(bytes: Uint8Array, what: string): Promise<void> {
  const [result] = await ours.classify([bytes]);
  assert.equal(result?.status, 'ok', what);
  if (result?.status !== 'ok') return;
  const expected = await peerScores(bytes);
  for (const [label, score] of Object.entries(expected)) {
    const diff = Math.abs((result.scores[label] ?? NaN) - score);
    assert.ok(diff <= 1e-4, `${what}: ${label} framescore ${result.scores[label]} vs nsfwjs ${score}`);
  }
}

describe('parity with nsfwjs', () => {
  it('scores a sampled 224×224 video frame as nsfwjs does', async () => {
    const { ffmpeg } = resolveBinaries();
    const input = await fixture('h264.mp4');
    for (const time of [1, 3.5, 6]) {
      const frame = await extractFrame(time, { ffmpeg, input, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: 0, stillImage: false, timeoutMs: 30_000 });
      await assertParity(frame.jpeg, `frame at ${time}s`);
    }
  });

  it('resizes other sizes (JPEG 300×200, PNG 640×360) as nsfwjs does', async () => {
    await assertParity(await readFile(await fixture('still.jpg')), 'still.jpg');
    await assertParity(await readFile(await fixture('still.png')), 'still.png');
  });
});

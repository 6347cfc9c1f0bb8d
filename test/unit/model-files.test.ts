import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelError } from '../../src/core/errors.js';
import { digestModel, readModelBundle } from '../../src/core/model-files.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { MANIFEST_FILE } from '../../src/core/model-manifest.js';
import { DEFAULT_MODEL_DIR } from '../../src/run/paths.js';

let work: string;
before(async () => { work = await mkdtemp(path.join(os.tmpdir(), 'framescore-model-')); });
after(async () => { await rm(work, { recursive: true, force: true }); });

async function copyModel(name: string): Promise<string> {
  const dir = path.join(work, name);
  await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
  return dir;
}

describe('model bundle', () => {
  it('reads the bundled model and checks every digest', async () => {
    const { manifest, artifacts } = await readModelBundle(directoryModelFiles(DEFAULT_MODEL_DIR));
    assert.deepEqual(manifest.labels, ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    assert.equal(manifest.format, 'layers-model');
    const digests = await digestModel(directoryModelFiles(DEFAULT_MODEL_DIR));
    assert.equal(manifest.sha256, digests.sha256);
    assert.equal((artifacts!.weightData as ArrayBuffer).byteLength, 2_619_461);
  });

  it('reads a TF.js model whose TF.js files are absent as its ONNX form, under the manifest\'s identity, the ONNX file still checked', async () => {
    const dir = await copyModel('onnx-only');
    await rm(path.join(dir, 'model.json'));
    await rm(path.join(dir, 'group1-shard1of1.bin'));
    const bundle = await readModelBundle(directoryModelFiles(dir));
    const full = await readModelBundle(directoryModelFiles(DEFAULT_MODEL_DIR));
    assert.equal(bundle.artifacts, undefined);
    assert.equal(bundle.manifest.sha256, full.manifest.sha256);
    assert.deepEqual(bundle.onnx?.bytes, full.onnx?.bytes);
    const onnx = await readFile(path.join(dir, 'model.onnx'));
    onnx[5000] = (onnx[5000]! + 1) % 256;
    await writeFile(path.join(dir, 'model.onnx'), onnx);
    await assert.rejects(readModelBundle(directoryModelFiles(dir)), (error: unknown) => error instanceof ModelError && /model\.onnx fails its sha256 check/.test(error.message));
  });

  it('rejects a tampered weight file by its sha256', async () => {
    const dir = await copyModel('tampered');
    const weights = path.join(dir, 'group1-shard1of1.bin');
    const bytes = await readFile(weights);
    bytes[1000] = (bytes[1000]! + 1) % 256;
    await writeFile(weights, bytes);
    await assert.rejects(readModelBundle(directoryModelFiles(dir)), (error: unknown) => error instanceof ModelError && /group1-shard1of1\.bin fails its sha256 check/.test(error.message));
  });

  it('names a missing weights file, a missing model.json and unknown labels', async () => {
    const missingWeights = await copyModel('missing-weights');
    await rm(path.join(missingWeights, 'group1-shard1of1.bin'));
    await assert.rejects(readModelBundle(directoryModelFiles(missingWeights)), /missing weights file group1-shard1of1\.bin/);
    await assert.rejects(readModelBundle(directoryModelFiles(path.join(work, 'nowhere'))), /has no model\.json/);
    const noLabels = await copyModel('no-labels');
    await rm(path.join(noLabels, MANIFEST_FILE));
    await assert.rejects(readModelBundle(directoryModelFiles(noLabels)), /labels are unknown/);
  });

  it('reports malformed JSON and manifests as ModelError', async () => {
    const dir = await copyModel('malformed');
    await writeFile(path.join(dir, MANIFEST_FILE), '{"schema": "framescore-model/1", "name": 3}');
    await assert.rejects(readModelBundle(directoryModelFiles(dir)), (error: unknown) => error instanceof ModelError && /malformed: name is missing/.test(error.message));
    await rm(path.join(dir, MANIFEST_FILE));
    await writeFile(path.join(dir, 'model.json'), '{ not json');
    await assert.rejects(readModelBundle(directoryModelFiles(dir)), /model\.json is not valid JSON/);
  });

  it('accepts a Teachable Machine export (model.json + weights.bin + metadata.json) as-is', async () => {
    const dir = await copyModel('teachable');
    await rm(path.join(dir, MANIFEST_FILE));
    const modelJson = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    modelJson.weightsManifest[0]!.paths = ['weights.bin'];
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    await cp(path.join(dir, 'group1-shard1of1.bin'), path.join(dir, 'weights.bin'));
    await writeFile(path.join(dir, 'metadata.json'), JSON.stringify({ tfjsVersion: '1.3.1', modelName: 'tm-my-image-model', labels: ['a', 'b', 'c', 'd', 'e'], imageSize: 224, timeStamp: '2026-01-01T00:00:00Z' }));
    const { manifest } = await readModelBundle(directoryModelFiles(dir));
    assert.equal(manifest.name, 'tm-my-image-model');
    assert.deepEqual(manifest.labels, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(manifest.normalization, { divisor: 127, offset: -1 });
    assert.match(manifest.sha256, /^[0-9a-f]{64}$/);
  });
});

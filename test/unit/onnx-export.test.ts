/**
 * The TF.js → ONNX converter: the bundled model and small synthetic models give
 * the same scores on onnxruntime-node as on TF.js; what it cannot map throws
 * UnsupportedLayerError naming the layer.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { io } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { readModelBundle, type ModelBundle } from '../../src/core/model-files.js';
import { directoryModelFiles } from '../../src/core/model-directory.js';
import { parseManifest } from '../../src/core/model-manifest.js';
import { layersModelToOnnx, UnsupportedLayerError, type OnnxExportOptions } from '../../src/onnx-export/index.js';
import { activateBackend, tf } from '../../src/core/tf-backend.js';
import { wasmDirectory } from '../../src/run/local/backend.js';
import { DEFAULT_MODEL_DIR } from '../../src/run/paths.js';
import { compareOnnxWithTfjs, loadParityImages, parityFailures, type ParityImage } from '../../scripts/onnx-parity.js';
import { everyLayerModel, float16Weights, quantiseWeights, savedArtifacts, seededWeights, teachableMachineShaped } from '../helpers/layers-models.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let bundle: ModelBundle;
let images: ParityImage[];

before(async () => {
  await activateBackend('wasm', { wasmDir: wasmDirectory() });
  bundle = await readModelBundle(directoryModelFiles(DEFAULT_MODEL_DIR));
  images = await loadParityImages(root);
});

/** Largest |ONNX − TF.js| over every output of `model` for `input`. */
async function maxDifference(model: tfl.LayersModel, input: tf.Tensor, options?: OnnxExportOptions): Promise<number> {
  const artifacts = await savedArtifacts(model);
  const exported = layersModelToOnnx(artifacts, options);
  const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  const expected = (reloaded.predict(input) as tf.Tensor).dataSync();
  reloaded.dispose();
  const session = await ort.InferenceSession.create(exported.onnx);
  const result = await session.run({ [exported.inputName]: new ort.Tensor('float32', Float32Array.from(input.dataSync()), input.shape) });
  await session.release();
  const actual = result[exported.outputName]!;
  assert.deepEqual(actual.dims.slice(1), exported.outputShape.slice(1));
  assert.equal(actual.data.length, expected.length);
  return Math.max(...Array.from(expected, (value, i) => Math.abs(value - (actual.data as Float32Array)[i]!)));
}

function seededInput(shape: number[]): tf.Tensor {
  let state = 12345;
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)), shape);
}

describe('bundled model on onnxruntime', () => {
  for (const [weights, batch] of [['uint8', 1], ['uint8', 4], ['float32', 4]] as const) {
    it(`matches TF.js within 1e-4 with the same top label on the photographs (${weights} weights, batch ${batch})`, async () => {
      const exported = layersModelToOnnx(bundle.artifacts!, { weights });
      assert.deepEqual(exported.inputShape, [null, 224, 224, 3]);
      assert.deepEqual(exported.outputShape, [null, 5]);
      assert.equal(exported.layout, 'NHWC');
      const rows = await compareOnnxWithTfjs(bundle, { bytes: exported.onnx, inputName: exported.inputName, outputName: exported.outputName }, images, batch);
      assert.equal(rows.length, images.length);
      assert.ok(images.filter((image) => image.name.includes('/photos/')).length >= 5);
      assert.deepEqual(parityFailures(rows), []);
    });
  }

  it('is the model.onnx the build wrote, recorded in the manifest beside the unchanged TF.js identity', async () => {
    const exported = layersModelToOnnx(bundle.artifacts!);
    const { sha256Hex } = await import('../../src/core/model-files.js');
    assert.deepEqual(bundle.manifest.onnx, { file: 'model.onnx', sha256: sha256Hex(exported.onnx), layout: 'NHWC' });
    const onnxBytes = await directoryModelFiles(DEFAULT_MODEL_DIR).read('model.onnx');
    assert.ok(onnxBytes !== undefined && sha256Hex(onnxBytes) === bundle.manifest.onnx?.sha256);
    assert.ok(!Object.keys(bundle.manifest.files).includes('model.onnx'));
    assert.equal(sha256Hex(layersModelToOnnx(bundle.artifacts!).onnx), sha256Hex(exported.onnx), 'same input, same bytes');
  });

  it('validates the manifest onnx field', () => {
    const manifest = JSON.parse(JSON.stringify(bundle.manifest)) as Record<string, unknown>;
    assert.equal(parseManifest(manifest, 'm').onnx?.layout, 'NHWC');
    assert.throws(() => parseManifest({ ...manifest, onnx: { file: '../x.onnx', sha256: bundle.manifest.sha256, layout: 'NHWC' } }, 'm'), /onnx\.file must be a plain file name/);
    assert.throws(() => parseManifest({ ...manifest, onnx: { file: 'model.onnx', sha256: 'abc', layout: 'NHWC' } }, 'm'), /onnx\.sha256 is not a hex digest/);
    assert.throws(() => parseManifest({ ...manifest, onnx: { file: 'model.onnx', sha256: bundle.manifest.sha256, layout: 'CHW' } }, 'm'), /onnx\.layout must be "NHWC" or "NCHW"/);
    const { onnx: _onnx, ...withoutOnnx } = manifest;
    assert.equal(parseManifest(withoutOnnx, 'm').onnx, undefined);
  });
});

describe('synthetic layers models', () => {
  it('maps every supported layer type as TF.js computes it', async () => {
    const model = everyLayerModel();
    seededWeights(model);
    const input = seededInput([3, 12, 10, 3]);
    for (const weights of ['float32', 'uint8'] as const) {
      const diff = await maxDifference(model, input, { weights });
      assert.ok(diff <= 1e-5, `${weights}: max difference ${diff}`);
    }
  });

  it('reads uint8-, uint16- and float16-quantised weights as TF.js dequantises them', async () => {
    const model = teachableMachineShaped();
    seededWeights(model);
    const input = seededInput([2, 32, 32, 3]);
    const artifacts = await savedArtifacts(model);
    for (const quantised of [quantiseWeights(artifacts, 'uint8'), quantiseWeights(artifacts, 'uint16'), float16Weights(artifacts)]) {
      const expected = ((await tfl.loadLayersModel(tf.io.fromMemory(quantised))).predict(input) as tf.Tensor).dataSync();
      for (const weights of ['float32', 'uint8'] as const) {
        const exported = layersModelToOnnx(quantised, { weights });
        const session = await ort.InferenceSession.create(exported.onnx);
        const result = await session.run({ [exported.inputName]: new ort.Tensor('float32', Float32Array.from(input.dataSync()), input.shape) });
        const actual = result[exported.outputName]!.data as Float32Array;
        const diff = Math.max(...Array.from(expected, (value, i) => Math.abs(value - actual[i]!)));
        assert.ok(diff <= 1e-5, `${quantised.weightSpecs?.[0]?.quantization?.dtype} stored as ${weights}: max difference ${diff}`);
      }
    }
  });

  it('converts a Teachable-Machine-shaped Sequential wrapping a functional MobileNet-like model and a Dense head', async () => {
    const model = teachableMachineShaped();
    seededWeights(model);
    const artifacts = await savedArtifacts(model);
    const topology = artifacts.modelTopology as { class_name: string; config: { layers: Array<{ class_name: string }> } };
    assert.deepEqual([topology.class_name, ...topology.config.layers.map((layer) => layer.class_name)], ['Sequential', 'Model', 'Sequential']);
    const diff = await maxDifference(model, seededInput([4, 32, 32, 3]));
    assert.ok(diff <= 1e-5, `max difference ${diff}`);
  });

  it('throws UnsupportedLayerError naming the layer and its class', async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const up = tfl.layers.upSampling2d({ size: [2, 2], name: 'grow' }).apply(input) as tfl.SymbolicTensor;
    const output = tfl.layers.flatten().apply(up) as tfl.SymbolicTensor;
    const artifacts = await savedArtifacts(tfl.model({ inputs: input, outputs: output }));
    assert.throws(
      () => layersModelToOnnx(artifacts),
      (error: unknown) => error instanceof UnsupportedLayerError && error.name === 'UnsupportedLayerError' && error.layerName === 'grow' && error.className === 'UpSampling2D' && /"grow" \(UpSampling2D\)/.test(error.message),
    );
    const relu = tfl.sequential({ layers: [tfl.layers.reLU({ inputShape: [4], name: 'leaky' })] });
    const reluArtifacts = await savedArtifacts(relu);
    const json = JSON.stringify(reluArtifacts.modelTopology).replace('"max_value":null', '"max_value":null,"negative_slope":0.1');
    assert.throws(() => layersModelToOnnx({ ...reluArtifacts, modelTopology: JSON.parse(json) as io.ModelArtifacts['modelTopology'] }), (error: unknown) => error instanceof UnsupportedLayerError && /negative_slope/.test(error.message));
    const gelu = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [4], activation: 'gelu', name: 'd' })] });
    const geluArtifacts = await savedArtifacts(gelu);
    assert.throws(() => layersModelToOnnx(geluArtifacts), /activation "gelu" is not supported/);
  });
});

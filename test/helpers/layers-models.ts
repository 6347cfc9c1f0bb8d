/** Small TF.js layers models for the ONNX export tests, with deterministic weights. */
import type { io } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../../src/core/tf-backend.js';

type Symbolic = tfl.SymbolicTensor;
const L = tfl.layers;

/** One functional model using every layer type the exporter maps (non-square input catches H/W mix-ups). */
export function everyLayerModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 10, 3], name: 'pixels' });
  const apply = (layer: tfl.layers.Layer, x: Symbolic | Symbolic[]): Symbolic => layer.apply(x) as Symbolic;
  const scaled = apply(L.rescaling({ scale: 2, offset: -1 }), input);
  let x = apply(L.zeroPadding2d({ padding: [[1, 0], [0, 1]] }), scaled);
  x = apply(L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }), x);
  x = apply(L.batchNormalization({ epsilon: 0.01 }), x); // after an activation: lowered to Mul/Add
  const spread = apply(L.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2, useBias: true, activation: 'relu6' }), x);
  const mixed = apply(L.conv2d({ filters: 8, kernelSize: 1, useBias: false }), spread);
  const a = apply(L.batchNormalization({}), mixed); // folded into the 1×1 conv
  const dilated = apply(L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'tanh' }), x);
  // tfjs-layers does not save a SeparableConv2D's depth_multiplier, so only 1 survives a reload.
  const b = apply(L.reLU({ maxValue: 6 }), apply(L.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same' }), x));
  const sum = apply(L.add(), [a, b, dilated]);
  const cat = apply(L.concatenate(), [sum, b]); // 6×5×16
  const maxPooled = apply(L.maxPooling2d({ poolSize: 2, padding: 'same' }), cat); // 3×3×16
  const avgPooled = apply(L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }), maxPooled);
  const squashed = apply(L.leakyReLU({ alpha: 0.2 }), apply(L.activation({ activation: 'sigmoid' }), avgPooled));
  const merged = apply(L.average(), [apply(L.maximum(), [squashed, avgPooled]), apply(L.minimum(), [squashed, maxPooled]), apply(L.multiply(), [squashed, avgPooled])]);
  const perPixel = apply(L.dense({ units: 5, activation: 'softplus' }), merged); // Dense on a 4-D tensor
  let head = apply(L.dense({ units: 6, activation: 'elu' }), apply(L.flatten(), perPixel));
  head = apply(L.dropout({ rate: 0.5 }), head);
  for (const activation of ['selu', 'softsign', 'hardSigmoid', 'swish'] as const) head = apply(L.activation({ activation }), head);
  const pooled = apply(L.globalAveragePooling2d({}), cat);
  const maxed = apply(L.globalMaxPooling2d({}), cat);
  const reshaped = apply(L.flatten(), apply(L.reshape({ targetShape: [4, 2, 4] }), apply(L.concatenate(), [pooled, maxed])));
  const logits = apply(L.dense({ units: 3 }), apply(L.concatenate(), [head, reshaped]));
  return tfl.model({ inputs: input, outputs: apply(L.softmax(), logits) });
}

/** A Teachable Machine image model: Sequential[functional MobileNet-like base, Sequential Dense head]. */
export function teachableMachineShaped(): tfl.LayersModel {
  const input = tfl.input({ shape: [32, 32, 3] });
  const apply = (layer: tfl.layers.Layer, x: Symbolic | Symbolic[]): Symbolic => layer.apply(x) as Symbolic;
  let x = apply(L.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'Conv1_pad' }), input);
  x = apply(L.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false, name: 'Conv1' }), x);
  x = apply(L.reLU({ maxValue: 6, name: 'Conv1_relu' }), apply(L.batchNormalization({ name: 'bn_Conv1' }), x));
  const block = apply(L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'block_depthwise' }), x);
  const projected = apply(L.batchNormalization({ name: 'block_project_BN' }), apply(L.conv2d({ filters: 8, kernelSize: 1, useBias: false, name: 'block_project' }), apply(L.reLU({ maxValue: 6 }), apply(L.batchNormalization({}), block))));
  x = apply(L.add({ name: 'block_add' }), [x, projected]);
  x = apply(L.globalAveragePooling2d({ name: 'features' }), x);
  const base = tfl.model({ inputs: input, outputs: x, name: 'model_1' });
  const head = tfl.sequential({ name: 'sequential_2', layers: [L.dense({ units: 10, activation: 'relu', inputShape: [8], name: 'dense_Dense1' }), L.dense({ units: 3, activation: 'softmax', name: 'dense_Dense2' })] });
  const model = tfl.sequential({ name: 'sequential_3' });
  model.add(base);
  model.add(head);
  return model;
}

/** Replaces every weight with reproducible values (variances kept positive). */
export function seededWeights(model: tfl.LayersModel): void {
  let state = 42;
  const next = (): number => (state = (state * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32;
  model.setWeights(model.weights.map((weight) => {
    const shape = weight.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const variance = weight.originalName.endsWith('moving_variance');
    return tf.tensor(Float32Array.from({ length: size }, () => (variance ? 0.5 + next() : next() - 0.5)), shape);
  }));
}

/** The artifacts model.save() would write, kept in memory. */
export async function savedArtifacts(model: tfl.LayersModel): Promise<io.ModelArtifacts> {
  let saved: io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { ...saved!, format: 'layers-model' };
}

/** The converter's affine quantisation (tfjs-converter quantization.py): q = round((v − min) / scale). */
export function quantiseWeights(artifacts: io.ModelArtifacts, dtype: 'uint8' | 'uint16'): io.ModelArtifacts {
  const levels = dtype === 'uint8' ? 255 : 65535;
  return rewrite(artifacts, (values) => {
    const min = Math.min(...values);
    const max = Math.max(...values);
    const scale = max > min ? (max - min) / levels : 1;
    const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
    values.forEach((v, i) => (q[i] = Math.round((v - min) / scale)));
    return { bytes: new Uint8Array(q.buffer), quantization: { dtype, scale, min } };
  });
}

/** float16 storage (round toward zero is enough: both engines decode the same bits). */
export function float16Weights(artifacts: io.ModelArtifacts): io.ModelArtifacts {
  return rewrite(artifacts, (values) => {
    const half = Uint16Array.from(values, toFloat16);
    return { bytes: new Uint8Array(half.buffer), quantization: { dtype: 'float16' } };
  });
}

function rewrite(artifacts: io.ModelArtifacts, encode: (values: Float32Array) => { bytes: Uint8Array; quantization: NonNullable<io.WeightsManifestEntry['quantization']> }): io.ModelArtifacts {
  const source = new Float32Array(artifacts.weightData as ArrayBuffer);
  const parts: Uint8Array[] = [];
  let offset = 0;
  const weightSpecs = (artifacts.weightSpecs ?? []).map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const { bytes, quantization } = encode(source.subarray(offset, offset + size));
    offset += size;
    parts.push(bytes);
    return { ...spec, quantization };
  });
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const weightData = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    weightData.set(part, at);
    at += part.byteLength;
  }
  return { ...artifacts, weightSpecs, weightData: weightData.buffer };
}

function toFloat16(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  const bits = view.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = (bits >>> 13) & 0x3ff;
  if (exponent <= 0) return sign;
  if (exponent >= 0x1f) return sign | 0x7c00;
  return sign | (exponent << 10) | mantissa;
}

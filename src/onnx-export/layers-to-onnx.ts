/**
 * Converts a TF.js Keras layers model (model.json topology + weights) to an ONNX
 * model for onnxruntime: opset 17, input [N, H, W, C] float32 as TF.js takes it
 * (transposed to NCHW inside the graph), output the last layer's, e.g. the
 * softmax scores [N, labels]. Layers or options it cannot map throw
 * UnsupportedLayerError, so callers can keep running the model on TF.js.
 */
import type { io } from '@tensorflow/tfjs-core';
import { resolveBatchNorms } from './batch-norm-folding.js';
import { batchNormalization, conv2d, depthwiseConv2d, pooling, separableConv2d } from './conv-layers.js';
import type { LayerEmitter } from './emit-context.js';
import { OnnxExportError, UnsupportedLayerError } from './errors.js';
import { GraphBuilder, type Dim, type Value } from './graph-builder.js';
import { MODEL_CLASSES, parseModel, parseTopology, type KerasLayer, type KerasModel, type TensorRef } from './keras-topology.js';
import { LayerConfig } from './layer-config.js';
import { NHWC_TO_NCHW, toKerasOrder } from './layout.js';
import { encodeModel } from './onnx-proto.js';
import * as layers from './other-layers.js';
import { serializeGraph, type WeightStorage } from './serialize-graph.js';
import { WeightStore } from './weight-store.js';
import { decodeWeights } from './weights.js';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

export interface OnnxExportOptions {
  /**
   * 'uint8' (default) keeps TF.js's uint8-quantised weights uint8 and dequantises
   * them in the graph (onnxruntime folds that at load); 'float32' writes every
   * weight as float32. Unquantised weights are float32 either way.
   */
  readonly weights?: WeightStorage;
}

export interface OnnxExport {
  readonly onnx: Uint8Array;
  readonly inputName: string;
  readonly outputName: string;
  /** The input is channels-last, exactly the tensor TF.js's predict() takes. */
  readonly layout: 'NHWC';
  /** Input shape with the batch (and any unknown size) as null. */
  readonly inputShape: readonly Dim[];
  readonly outputShape: readonly Dim[];
}

const EMITTERS: Readonly<Record<string, LayerEmitter>> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  BatchNormalization: batchNormalization,
  AveragePooling2D: pooling('AveragePool'),
  MaxPooling2D: pooling('MaxPool'),
  GlobalAveragePooling2D: layers.globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: layers.globalPooling('GlobalMaxPool'),
  ZeroPadding2D: layers.zeroPadding2d,
  Dense: layers.dense,
  Activation: layers.activation,
  ReLU: layers.relu,
  LeakyReLU: layers.leakyRelu,
  Softmax: layers.softmaxLayer,
  Rescaling: layers.rescaling,
  Add: layers.merge('Add'),
  Multiply: layers.merge('Mul'),
  Average: layers.merge('Mean'),
  Maximum: layers.merge('Max'),
  Minimum: layers.merge('Min'),
  Concatenate: layers.concatenate,
  Flatten: layers.flatten,
  Reshape: layers.reshape,
  // Inference-time no-ops.
  Dropout: layers.identity,
  SpatialDropout2D: layers.identity,
  GaussianNoise: layers.identity,
  GaussianDropout: layers.identity,
  AlphaDropout: layers.identity,
};

export function layersModelToOnnx(artifacts: io.ModelArtifacts, options: OnnxExportOptions = {}): OnnxExport {
  if (artifacts.format !== undefined && artifacts.format !== 'layers-model') throw new OnnxExportError(`only TF.js layers models can be exported to ONNX, not ${artifacts.format}`);
  const model = parseTopology(artifacts.modelTopology);
  const graph = new GraphBuilder();
  const weights = new WeightStore(decodeWeights(artifacts.weightSpecs ?? [], artifacts.weightData));

  const inputShape = modelInputShape(model);
  const inputName = graph.unique(sanitise(inputLayerName(model)));
  const input: Value = { name: inputShape.length === 4 ? graph.add('Transpose', [inputName], `${inputName}/nchw`, { perm: NHWC_TO_NCHW }) : inputName, shape: inputShape };
  const outputs = emitModel(model, [input], { graph, weights }, '');
  if (outputs.length !== 1) throw new OnnxExportError(`the model has ${outputs.length} outputs; only single-output models are supported`);
  let output = outputs[0]!;
  if (output.shape.length === 4) output = { name: toKerasOrder(graph, output), shape: output.shape };
  if (output.name === inputName) output = { name: graph.add('Identity', [inputName], 'output'), shape: output.shape };
  resolveBatchNorms(graph, new Set([output.name]));

  const { nodes, initializers } = serializeGraph(graph, options.weights ?? 'uint8');
  const symbolic = (dims: readonly Dim[], names: readonly string[]) => dims.map((dim, i) => dim ?? (i === 0 ? 'batch' : (names[i] ?? `dim${i}`)));
  const onnx = encodeModel({
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producer: 'framescore',
    graphName: sanitise(model.name),
    nodes,
    initializers,
    inputs: [{ name: inputName, shape: symbolic(inputShape, ['batch', 'height', 'width', 'channels']) }],
    outputs: [{ name: output.name, shape: symbolic(output.shape, ['batch']) }],
  });
  return { onnx, inputName, outputName: output.name, layout: 'NHWC', inputShape, outputShape: output.shape };
}

interface Emitting {
  readonly graph: GraphBuilder;
  readonly weights: WeightStore;
}

function emitModel(model: KerasModel, inputs: readonly Value[], emitting: Emitting, prefix: string): Value[] {
  if (model.kind === 'sequential') {
    if (inputs.length !== 1) throw new OnnxExportError(`Sequential ${model.name} got ${inputs.length} inputs`);
    let current = inputs[0]!;
    for (const layer of model.layers) {
      if (layer.className === 'InputLayer') continue;
      const outputs = emitLayer(layer, [current], emitting, prefix, 0);
      if (outputs.length !== 1) throw new UnsupportedLayerError(layer.name, layer.className, 'a layer in a Sequential must have one output');
      current = outputs[0]!;
    }
    return [current];
  }
  const byName = new Map(model.layers.map((layer) => [layer.name, layer]));
  const produced = new Map<string, Value[]>();
  if (inputs.length !== model.inputs.length) throw new OnnxExportError(`model ${model.name} has ${model.inputs.length} inputs, got ${inputs.length}; only single-input models are supported`);
  model.inputs.forEach((ref, i) => produced.set(`${ref.layer}:${ref.node}`, [inputs[i]!]));
  const resolve = (ref: TensorRef): Value => {
    const key = `${ref.layer}:${ref.node}`;
    let outputs = produced.get(key);
    if (outputs === undefined) {
      const layer = byName.get(ref.layer);
      const inbound = layer?.inboundNodes[ref.node];
      if (layer === undefined || inbound === undefined) throw new OnnxExportError(`model ${model.name} refers to ${ref.layer} call ${ref.node}, which it does not define`);
      if (layer.className === 'InputLayer') throw new OnnxExportError(`model ${model.name} reads input layer ${layer.name}, which is not one of its inputs`);
      outputs = emitLayer(layer, inbound.map(resolve), emitting, prefix, ref.node);
      produced.set(key, outputs);
    }
    const value = outputs[ref.tensor];
    if (value === undefined) throw new OnnxExportError(`layer ${ref.layer} has no output ${ref.tensor}`);
    return value;
  };
  return model.outputs.map(resolve);
}

function emitLayer(layer: KerasLayer, inputs: readonly Value[], emitting: Emitting, prefix: string, call: number): Value[] {
  const base = `${prefix}${sanitise(layer.name)}${call > 0 ? `_call${call}` : ''}`;
  if (MODEL_CLASSES.has(layer.className)) return emitModel(parseModel(layer.className, layer.config, layer.name), inputs, emitting, `${base}/`);
  const emitter = EMITTERS[layer.className];
  if (emitter === undefined) throw new UnsupportedLayerError(layer.name, layer.className, 'this layer class is not supported');
  return [emitter(new LayerConfig(layer), inputs, { ...emitting, base })];
}

function inputLayerName(model: KerasModel): string {
  if (model.kind === 'functional') return model.inputs[0]?.layer ?? 'input';
  const first = model.layers[0];
  return first?.className === 'InputLayer' ? first.name : 'input';
}

/** The model's input shape (batch first) from its InputLayer or its first layer's batch_input_shape. */
function modelInputShape(model: KerasModel): Dim[] {
  if (model.kind === 'functional') {
    if (model.inputs.length !== 1) throw new OnnxExportError(`the model has ${model.inputs.length} inputs; only single-input models are supported`);
    const layer = model.layers.find((candidate) => candidate.name === model.inputs[0]!.layer);
    if (layer === undefined) throw new OnnxExportError(`input layer ${model.inputs[0]!.layer} is not among the layers of ${model.name}`);
    return declaredShape(layer) ?? fail(`input layer ${layer.name} has no batch_input_shape`);
  }
  const first = model.layers[0];
  if (first === undefined) throw new OnnxExportError(`Sequential ${model.name} has no layers`);
  const declared = declaredShape(first);
  if (declared !== undefined) return declared;
  if (MODEL_CLASSES.has(first.className)) return modelInputShape(parseModel(first.className, first.config, first.name));
  return fail(`the first layer of ${model.name} (${first.name}) declares no batch_input_shape`);
}

function declaredShape(layer: KerasLayer): Dim[] | undefined {
  const shape = layer.config.batch_input_shape ?? layer.config.batch_shape;
  if (!Array.isArray(shape) || !shape.every((dim) => dim === null || (Number.isInteger(dim) && dim > 0))) return undefined;
  return shape.map((dim, i) => (i === 0 ? null : (dim as Dim)));
}

function fail(message: string): never {
  throw new OnnxExportError(message);
}

/** ONNX names may be anything, but keep them readable in tools (Netron) and free of surprises. */
function sanitise(name: string): string {
  return name.replace(/[^\w./-]/g, '_');
}


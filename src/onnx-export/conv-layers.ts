/** Convolutions, pooling and BatchNormalization (a placeholder, folded or lowered later). */
import { applyActivation } from './activations.js';
import type { EmitContext, LayerEmitter } from './emit-context.js';
import type { Dim, Value } from './graph-builder.js';
import type { LayerConfig } from './layer-config.js';
import { permute } from './layout.js';
import type { DecodedWeight } from './weights.js';

/** TF kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
const HWIO_TO_OIHW = [3, 2, 0, 1];
/** TF depthwise kernel [kh, kw, in, multiplier] → [in, multiplier, kh, kw], i.e. ONNX [in·multiplier, 1, kh, kw]. */
const DEPTHWISE_TO_OIHW = [2, 3, 0, 1];

export const conv2d: LayerEmitter = (config, [input], context) => {
  config.requireChannelsLast();
  const filters = config.number('filters');
  const [kh, kw] = config.pair('kernel_size');
  const groups = config.number('groups', 1);
  const channels = knownChannels(config, input!);
  if (channels % groups !== 0) config.fail(`groups ${groups} does not divide ${channels} input channels`);
  const kernel = context.weights.require(config.layer.name, config.layer.className, 'kernel', [kh, kw, channels / groups, filters]);
  const out = convNode(config, input!, context, kernelInitializer(context, kernel, HWIO_TO_OIHW, [filters, channels / groups, kh, kw]), [kh, kw], filters, groups, 'bias');
  return activation(config, out, context);
};

export const depthwiseConv2d: LayerEmitter = (config, [input], context) => {
  config.requireChannelsLast();
  const [kh, kw] = config.pair('kernel_size');
  const multiplier = config.number('depth_multiplier', 1);
  const channels = knownChannels(config, input!);
  const kernel = context.weights.require(config.layer.name, config.layer.className, 'depthwise_kernel', [kh, kw, channels, multiplier]);
  const out = convNode(config, input!, context, kernelInitializer(context, kernel, DEPTHWISE_TO_OIHW, [channels * multiplier, 1, kh, kw]), [kh, kw], channels * multiplier, channels, 'bias');
  return activation(config, out, context);
};

export const separableConv2d: LayerEmitter = (config, [input], context) => {
  config.requireChannelsLast();
  const [kh, kw] = config.pair('kernel_size');
  const multiplier = config.number('depth_multiplier', 1);
  const filters = config.number('filters');
  const channels = knownChannels(config, input!);
  const { name, className } = config.layer;
  const depthwise = context.weights.require(name, className, 'depthwise_kernel', [kh, kw, channels, multiplier]);
  const pointwise = context.weights.require(name, className, 'pointwise_kernel', [1, 1, channels * multiplier, filters]);
  const spread = convNode(config, input!, { ...context, base: `${context.base}/depthwise` }, kernelInitializer(context, depthwise, DEPTHWISE_TO_OIHW, [channels * multiplier, 1, kh, kw]), [kh, kw], channels * multiplier, channels, undefined);
  const pointwiseInputs = [spread.name, kernelInitializer(context, pointwise, HWIO_TO_OIHW, [filters, channels * multiplier, 1, 1])];
  const bias = optionalBias(config, context, filters);
  if (bias !== undefined) pointwiseInputs.push(bias);
  const out = { name: context.graph.add('Conv', pointwiseInputs, activationName(config) === 'linear' ? context.base : `${context.base}/conv`, { kernel_shape: [1, 1] }), shape: [...spread.shape.slice(0, 3), filters] };
  return activation(config, out, context);
};

export const batchNormalization: LayerEmitter = (config, [input], context) => {
  const rank = input!.shape.length;
  const axisValue = config.raw('axis') ?? -1;
  const axis = Array.isArray(axisValue) && axisValue.length === 1 ? (axisValue[0] as unknown) : axisValue;
  if (typeof axis !== 'number' || (axis < 0 ? axis + rank : axis) !== rank - 1) config.fail(`axis ${JSON.stringify(axisValue)} is not the channel axis`);
  const channels = knownChannels(config, input!);
  const epsilon = config.number('epsilon', 1e-3);
  const { name, className } = config.layer;
  const take = (param: string): Float32Array => context.weights.require(name, className, param, [channels]).values;
  const gamma = config.boolean('scale', true) ? take('gamma') : new Float32Array(channels).fill(1);
  const beta = config.boolean('center', true) ? take('beta') : new Float32Array(channels);
  const mean = take('moving_mean');
  const variance = take('moving_variance');
  const factor = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    factor[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
    shift[c] = beta[c]! - mean[c]! * factor[c]!;
  }
  const output = context.graph.unique(context.base);
  context.graph.nodes.push({ op: 'BatchNormalization', name: output, inputs: [input!.name], outputs: [output], attributes: {}, batchNorm: { factor, shift, rank } });
  return { name: output, shape: input!.shape };
};

export function pooling(op: 'AveragePool' | 'MaxPool'): LayerEmitter {
  return (config, [input], context) => {
    config.requireChannelsLast();
    const pool = config.pair('pool_size', 2);
    const strides = config.raw('strides') === null ? pool : config.pair('strides', pool);
    const { attributes, height, width } = spatial(config, input!, pool, strides, [1, 1]);
    delete attributes.dilations;
    if (op === 'AveragePool') attributes.count_include_pad = 0; // TF averages over the real pixels only
    return { name: context.graph.add(op, [input!.name], context.base, attributes), shape: [input!.shape[0]!, height, width, input!.shape[3]!] };
  };
}

function convNode(config: LayerConfig, input: Value, context: EmitContext, kernel: string, size: [number, number], filters: number, groups: number, biasParam: 'bias' | undefined): Value {
  const { attributes, height, width } = spatial(config, input, size, config.pair('strides', 1), config.pair('dilation_rate', 1));
  if (groups !== 1) attributes.group = groups;
  const inputs = [input.name, kernel];
  const bias = biasParam === undefined ? undefined : optionalBias(config, context, filters);
  if (bias !== undefined) inputs.push(bias);
  const base = biasParam !== undefined && activationName(config) !== 'linear' ? `${context.base}/conv` : context.base;
  return { name: context.graph.add('Conv', inputs, base, attributes), shape: [input.shape[0]!, height, width, filters] };
}

/** ONNX kernel/stride/dilation/padding attributes, with TF's "same" padding (extra pixel at the end) made explicit. */
function spatial(config: LayerConfig, input: Value, kernel: [number, number], strides: [number, number], dilations: [number, number]) {
  if (input.shape.length !== 4) config.fail(`expects a 4-D input, got rank ${input.shape.length}`);
  const padding = config.padding();
  const sizes = [input.shape[1] ?? null, input.shape[2] ?? null];
  const attributes: Record<string, number | number[] | string> = { kernel_shape: kernel, strides, dilations };
  const out: Dim[] = [null, null];
  const begin = [0, 0];
  const end = [0, 0];
  for (let d = 0; d < 2; d++) {
    const size = sizes[d]!;
    const reach = (kernel[d]! - 1) * dilations[d]! + 1;
    if (size === null) continue;
    if (padding === 'valid') {
      out[d] = Math.floor((size - reach) / strides[d]!) + 1;
      if (out[d]! <= 0) config.fail(`input of size ${size} is smaller than the kernel`);
    } else {
      out[d] = Math.ceil(size / strides[d]!);
      const total = Math.max((out[d]! - 1) * strides[d]! + reach - size, 0);
      begin[d] = Math.floor(total / 2);
      end[d] = total - begin[d]!;
    }
  }
  if (padding === 'same' && sizes.includes(null)) attributes.auto_pad = 'SAME_UPPER';
  else attributes.pads = [begin[0]!, begin[1]!, end[0]!, end[1]!];
  return { attributes, height: out[0]!, width: out[1]! };
}

function kernelInitializer(context: EmitContext, weight: DecodedWeight, perm: readonly number[], dims: readonly number[]): string {
  const values = permute(weight.values, weight.shape, perm);
  const quantised = weight.quantised === undefined ? undefined : { ...weight.quantised, q: permute(weight.quantised.q, weight.shape, perm) };
  return context.graph.weight(weight.name, dims, values, quantised);
}

function optionalBias(config: LayerConfig, context: EmitContext, filters: number): string | undefined {
  if (!config.boolean('use_bias', true)) return undefined;
  const bias = context.weights.require(config.layer.name, config.layer.className, 'bias', [filters]);
  return context.graph.weight(bias.name, [filters], bias.values, bias.quantised);
}

function activationName(config: LayerConfig): string {
  return config.string('activation', 'linear');
}

function activation(config: LayerConfig, value: Value, context: EmitContext): Value {
  const name = activationName(config);
  return applyActivation(context.graph, name, value, context.base) ?? config.fail(`activation "${name}" is not supported`);
}

export function knownChannels(config: LayerConfig, input: Value): number {
  const channels = input.shape[input.shape.length - 1];
  if (typeof channels !== 'number') return config.fail('the number of input channels is unknown');
  return channels;
}

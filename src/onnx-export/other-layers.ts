/** Dense, activations, merges and the shape-changing layers. */
import { applyActivation, clip, softmax } from './activations.js';
import { knownChannels } from './conv-layers.js';
import type { LayerEmitter } from './emit-context.js';
import type { Dim } from './graph-builder.js';
import { fromKerasOrder, graphAxis, toKerasOrder } from './layout.js';

export const identity: LayerEmitter = (_config, [input]) => input!;

export const dense: LayerEmitter = (config, [input], context) => {
  const units = config.number('units');
  const inputs = knownChannels(config, input!);
  const { name, className } = config.layer;
  const kernel = context.weights.require(name, className, 'kernel', [inputs, units]);
  const weight = context.graph.weight(kernel.name, kernel.shape, kernel.values, kernel.quantised);
  const bias = config.boolean('use_bias', true) ? context.weights.require(name, className, 'bias', [units]) : undefined;
  const biasName = bias === undefined ? undefined : context.graph.weight(bias.name, [units], bias.values, bias.quantised);
  const activation = config.string('activation', 'linear');
  const base = activation === 'linear' ? context.base : `${context.base}/dense`;
  const shape = [...input!.shape.slice(0, -1), units];
  let out;
  if (input!.shape.length === 2) {
    out = { name: context.graph.add('Gemm', biasName === undefined ? [input!.name, weight] : [input!.name, weight, biasName], base), shape };
  } else {
    // Dense on a higher-rank tensor acts on its last (channel) axis.
    const product = context.graph.add('MatMul', [toKerasOrder(context.graph, input!), weight], biasName === undefined ? base : `${base}/matmul`);
    const sum = biasName === undefined ? product : context.graph.add('Add', [product, biasName], base);
    out = fromKerasOrder(context.graph, sum, shape, `${base}/nchw`);
  }
  return applyActivation(context.graph, activation, out, context.base) ?? config.fail(`activation "${activation}" is not supported`);
};

export const activation: LayerEmitter = (config, [input], context) => {
  const name = config.string('activation');
  return applyActivation(context.graph, name, input!, context.base) ?? config.fail(`activation "${name}" is not supported`);
};

export const relu: LayerEmitter = (config, [input], context) => {
  // TF.js's ReLU layer reads only max_value; refuse what it would silently ignore.
  if ((config.optionalNumber('negative_slope') ?? 0) !== 0 || (config.optionalNumber('threshold') ?? 0) !== 0) config.fail('negative_slope and threshold are not supported');
  return clip(context.graph, input!, 0, config.optionalNumber('max_value'), context.base);
};

export const leakyRelu: LayerEmitter = (config, [input], context) => ({
  name: context.graph.add('LeakyRelu', [input!.name], context.base, { alpha: { float: config.number('alpha', 0.3) } }),
  shape: input!.shape,
});

export const softmaxLayer: LayerEmitter = (config, [input], context) => {
  const axis = config.raw('axis') ?? -1;
  const single = Array.isArray(axis) && axis.length === 1 ? (axis[0] as unknown) : axis;
  if (typeof single !== 'number') return config.fail(`axis ${JSON.stringify(axis)} is not supported`);
  return softmax(context.graph, input!, single, context.base);
};

export const rescaling: LayerEmitter = (config, [input], context) => {
  const scaled = context.graph.add('Mul', [input!.name, context.graph.scalar(config.number('scale'))], `${context.base}/scale`);
  return { name: context.graph.add('Add', [scaled, context.graph.scalar(config.number('offset', 0))], context.base), shape: input!.shape };
};

export const zeroPadding2d: LayerEmitter = (config, [input], context) => {
  config.requireChannelsLast();
  if (input!.shape.length !== 4) config.fail('expects a 4-D input');
  const raw = config.raw('padding') ?? 1;
  const pairs = typeof raw === 'number' ? [[raw, raw], [raw, raw]] : Array.isArray(raw) && raw.every((v) => typeof v === 'number') ? raw.map((v) => [v, v]) : raw;
  if (!Array.isArray(pairs) || pairs.length !== 2 || !pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0))) {
    return config.fail(`padding ${JSON.stringify(raw)} is not [[top, bottom], [left, right]]`);
  }
  const [[top, bottom], [left, right]] = pairs as [[number, number], [number, number]];
  const pads = context.graph.int64s(`${context.base}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
  const [batch, height, width, channels] = input!.shape;
  const grow = (size: Dim | undefined, by: number): Dim => (typeof size === 'number' ? size + by : null);
  return { name: context.graph.add('Pad', [input!.name, pads], context.base), shape: [batch!, grow(height, top + bottom), grow(width, left + right), channels!] };
};

export function globalPooling(op: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerEmitter {
  return (config, [input], context) => {
    config.requireChannelsLast();
    if (input!.shape.length !== 4) config.fail('expects a 4-D input');
    const [batch, , , channels] = input!.shape;
    if (config.boolean('keepdims', false)) return { name: context.graph.add(op, [input!.name], context.base), shape: [batch!, 1, 1, channels!] };
    const pooled = context.graph.add(op, [input!.name], `${context.base}/pool`);
    return { name: context.graph.add('Flatten', [pooled], context.base, { axis: 1 }), shape: [batch!, channels!] };
  };
}

export const flatten: LayerEmitter = (config, [input], context) => {
  const shape = input!.shape;
  if (shape.length === 2) return input!;
  const rest = shape.slice(1);
  const size = rest.every((d) => typeof d === 'number') ? (rest as number[]).reduce((a, b) => a * b, 1) : null;
  // With H = W = 1 the NCHW and NHWC orders agree and no transpose is needed.
  const ordered = shape.length === 4 && shape[1] === 1 && shape[2] === 1 ? input!.name : toKerasOrder(context.graph, input!);
  if (config.raw('data_format') === 'channels_first') config.fail('data_format channels_first is not supported');
  return { name: context.graph.add('Flatten', [ordered], context.base, { axis: 1 }), shape: [shape[0]!, size] };
};

export const reshape: LayerEmitter = (config, [input], context) => {
  const target = config.raw('target_shape');
  if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) return config.fail(`target_shape ${JSON.stringify(target)} is not a list of sizes`);
  const sizes = target as number[];
  const known = input!.shape.slice(1);
  const total = known.every((d) => typeof d === 'number') ? (known as number[]).reduce((a, b) => a * b, 1) : null;
  const fixed = sizes.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const shape: Dim[] = [input!.shape[0]!, ...sizes.map((d) => (d === -1 ? (total === null ? null : total / fixed) : d))];
  // 0 keeps the batch dimension (allowzero = 0).
  const reshaped = context.graph.add('Reshape', [toKerasOrder(context.graph, input!), context.graph.int64s(`${context.base}/shape`, [0, ...sizes])], shape.length === 4 ? `${context.base}/nhwc` : context.base);
  return fromKerasOrder(context.graph, reshaped, shape, context.base);
};

export function merge(op: 'Add' | 'Mul' | 'Max' | 'Min' | 'Mean'): LayerEmitter {
  return (config, inputs, context) => {
    if (inputs.length < 2) config.fail('needs at least two inputs');
    const rank = inputs[0]!.shape.length;
    if (inputs.some((input) => input.shape.length !== rank)) config.fail('inputs of different ranks are not supported');
    let name = inputs[0]!.name;
    if (op === 'Max' || op === 'Min' || op === 'Mean' || inputs.length === 2) {
      name = context.graph.add(op, inputs.map((input) => input.name), context.base);
    } else {
      for (const [i, input] of inputs.slice(1).entries()) name = context.graph.add(op, [name, input.name], i === inputs.length - 2 ? context.base : `${context.base}/${i}`);
    }
    return { name, shape: inputs[0]!.shape };
  };
}

export const concatenate: LayerEmitter = (config, inputs, context) => {
  const rank = inputs[0]!.shape.length;
  if (inputs.some((input) => input.shape.length !== rank)) config.fail('inputs of different ranks are not supported');
  const axis = config.number('axis', -1);
  const positive = axis < 0 ? axis + rank : axis;
  if (positive <= 0 || positive >= rank) config.fail(`axis ${axis} is not supported`);
  const shape = [...inputs[0]!.shape];
  const sizes = inputs.map((input) => input.shape[positive]);
  shape[positive] = sizes.every((d) => typeof d === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
  return { name: context.graph.add('Concat', inputs.map((input) => input.name), context.base, { axis: graphAxis(positive, rank) }), shape };
};

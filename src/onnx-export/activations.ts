/** Keras activation functions as ONNX nodes. */
import type { GraphBuilder, Value } from './graph-builder.js';
import { graphAxis } from './layout.js';

/** Applies a named activation; returns undefined for a name it does not know. */
export function applyActivation(graph: GraphBuilder, name: string, input: Value, base: string): Value | undefined {
  const unary = (op: string, attributes = {}): Value => ({ name: graph.add(op, [input.name], base, attributes), shape: input.shape });
  switch (name) {
    case 'linear':
      return input;
    case 'relu':
      return unary('Relu');
    case 'relu6':
      return clip(graph, input, 0, 6, base);
    case 'sigmoid':
      return unary('Sigmoid');
    case 'tanh':
      return unary('Tanh');
    case 'softmax':
      return softmax(graph, input, -1, base);
    case 'elu':
      return unary('Elu', { alpha: { float: 1 } });
    case 'selu':
      return unary('Selu');
    case 'softplus':
      return unary('Softplus');
    case 'softsign':
      return unary('Softsign');
    case 'hard_sigmoid':
    case 'hardSigmoid':
      // tfjs-layers: clip(0.2 x + 0.5, 0, 1), ONNX HardSigmoid's defaults.
      return unary('HardSigmoid', { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    case 'swish': {
      const sigmoid = graph.add('Sigmoid', [input.name], `${base}/sigmoid`);
      return { name: graph.add('Mul', [input.name, sigmoid], base), shape: input.shape };
    }
    default:
      return undefined;
  }
}

export function clip(graph: GraphBuilder, input: Value, min: number, max: number | undefined, base: string): Value {
  if (max === undefined) return { name: graph.add(min === 0 ? 'Relu' : 'Max', min === 0 ? [input.name] : [input.name, graph.scalar(min)], base), shape: input.shape };
  return { name: graph.add('Clip', [input.name, graph.scalar(min), graph.scalar(max)], base), shape: input.shape };
}

export function softmax(graph: GraphBuilder, input: Value, kerasAxis: number, base: string): Value {
  return { name: graph.add('Softmax', [input.name], base, { axis: graphAxis(kerasAxis, input.shape.length) }), shape: input.shape };
}

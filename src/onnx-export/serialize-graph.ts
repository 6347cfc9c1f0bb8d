/**
 * Turns the working graph into ONNX messages. Weights are written as float32, or,
 * with storage 'uint8', TF.js's uint8-quantised weights stay uint8 and the graph
 * dequantises them (Cast, Gather from a 256-entry table, and the folded
 * BatchNormalization's Mul), which onnxruntime constant-folds when it loads the
 * model: a quarter of the size for ~35 ms more session creation, same kernels.
 */
import type { GraphBuilder, Initializer, WeightInitializer } from './graph-builder.js';
import { TensorType, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

export type WeightStorage = 'float32' | 'uint8';

export function serializeGraph(graph: GraphBuilder, storage: WeightStorage): { nodes: OnnxNode[]; initializers: OnnxTensor[] } {
  const prologue: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  for (const [name, init] of graph.initializers) {
    if (init.kind === 'weight' && storage === 'uint8' && init.quantised?.q instanceof Uint8Array) {
      dequantiseInGraph(graph, name, init, init.quantised.q, prologue, initializers);
    } else {
      initializers.push(tensor(name, init));
    }
  }
  const nodes = graph.nodes.map(({ op, name, inputs, outputs, attributes }) => ({ op, name, inputs, outputs, attributes }));
  return { nodes: [...prologue, ...nodes], initializers };
}

function dequantiseInGraph(graph: GraphBuilder, name: string, init: WeightInitializer, q: Uint8Array, nodes: OnnxNode[], initializers: OnnxTensor[]): void {
  const { scale, min } = init.quantised!;
  const quantised = graph.unique(`${name}/uint8`);
  initializers.push({ name: quantised, type: TensorType.UINT8, dims: init.dims, raw: q.slice() });
  const step = (op: string, inputs: string[], output: string, castTo?: number): string => {
    nodes.push({ op, name: output, inputs, outputs: [output], attributes: castTo === undefined ? {} : { to: castTo } });
    return output;
  };
  const constant = (suffix: string, dims: readonly number[], values: Float32Array): string => {
    const constantName = graph.unique(`${name}/${suffix}`);
    initializers.push({ name: constantName, type: TensorType.FLOAT, dims, raw: bytes(values) });
    return constantName;
  };
  // A 256-entry table holds q * scale + min exactly as tfjs computes it (float64, then float32).
  const table = constant('table', [256], Float32Array.from({ length: 256 }, (_, k) => k * scale + min));
  const indices = step('Cast', [quantised], graph.unique(`${name}/indices`), TensorType.INT32);
  if (init.channelScale === undefined) {
    step('Gather', [table, indices], name);
    return;
  }
  const dequantised = step('Gather', [table, indices], graph.unique(`${name}/dequantised`));
  const channelDims = init.dims.map((dim, i) => (i === 0 ? dim : 1));
  step('Mul', [dequantised, constant('channel_scale', channelDims, Float32Array.from(init.channelScale))], name);
}

function tensor(name: string, init: Initializer): OnnxTensor {
  if (init.kind === 'int64') return { name, type: TensorType.INT64, dims: init.dims, raw: bytes(BigInt64Array.from(init.values, (v) => BigInt(v))) };
  if (init.kind === 'float') return { name, type: TensorType.FLOAT, dims: init.dims, raw: bytes(Float32Array.from(init.values)) };
  const scale = init.channelScale;
  if (scale === undefined) return { name, type: TensorType.FLOAT, dims: init.dims, raw: bytes(init.values) };
  const perChannel = init.values.length / scale.length;
  return { name, type: TensorType.FLOAT, dims: init.dims, raw: bytes(init.values.map((v, i) => v * scale[Math.floor(i / perChannel)]!)) };
}

/** Element bytes in little-endian order, as raw_data wants (every platform Node runs framescore on is little-endian). */
function bytes(array: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * Keras layers see channels-last tensors; ONNX's Conv and pooling want NCHW. The
 * exporter keeps every rank-4 value NCHW and converts at the few layers that care
 * about element order (Flatten, Reshape, Dense on images) and at the graph edges.
 */
import type { GraphBuilder, Value } from './graph-builder.js';

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];

/** The value's name in Keras element order (a Transpose for rank 4). */
export function toKerasOrder(graph: GraphBuilder, value: Value): string {
  return value.shape.length === 4 ? graph.add('Transpose', [value.name], `${value.name}/nhwc`, { perm: NCHW_TO_NHWC }) : value.name;
}

/** A value in Keras element order turned into the graph's layout. */
export function fromKerasOrder(graph: GraphBuilder, name: string, shape: Value['shape'], base: string): Value {
  return shape.length === 4 ? { name: graph.add('Transpose', [name], base, { perm: NHWC_TO_NCHW }), shape } : { name, shape };
}

/** A Keras axis (negative counts from the end) as an axis of the value in the graph. */
export function graphAxis(axis: number, rank: number): number {
  const positive = axis < 0 ? axis + rank : axis;
  if (rank !== 4) return positive;
  return [0, 2, 3, 1][positive] ?? positive;
}

/** Copies `values` of `shape` transposed by `perm` (out dim i = in dim perm[i]). */
export function permute<T extends Float32Array | Uint8Array | Uint16Array>(values: T, shape: readonly number[], perm: readonly number[]): T {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!;
  const strides = perm.map((p) => inStrides[p]!);
  const out = new (values.constructor as new (length: number) => T)(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < values.length; o++) {
    let source = 0;
    for (let d = 0; d < rank; d++) source += index[d]! * strides[d]!;
    out[o] = values[source]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

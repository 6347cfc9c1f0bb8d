/**
 * Writes an ONNX ModelProto. Only the messages and fields the exporter emits, with
 * the field numbers of onnx/onnx.proto (proto2; repeated scalars unpacked).
 */
import { ProtoWriter } from './protobuf-writer.js';

export const TensorType = { FLOAT: 1, UINT8: 2, UINT16: 4, INT32: 6, INT64: 7 } as const;
export type TensorType = (typeof TensorType)[keyof typeof TensorType];

export interface OnnxTensor {
  readonly name: string;
  readonly type: TensorType;
  readonly dims: readonly number[];
  /** Little-endian element bytes (TensorProto.raw_data). */
  readonly raw: Uint8Array;
}

export type OnnxAttribute = number | readonly number[] | string | { readonly float: number } | { readonly floats: readonly number[] };

export interface OnnxNode {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** A graph input or output: float32 of this shape; a string dimension is symbolic. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly opset: number;
  readonly producer: string;
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export function encodeModel(model: OnnxModel): Uint8Array {
  const writer = new ProtoWriter()
    .varint(1, model.irVersion)
    .string(2, model.producer)
    .message(7, (graph) => writeGraph(graph, model))
    .message(8, (opset) => opset.string(1, '').varint(2, model.opset));
  return writer.finish();
}

function writeGraph(graph: ProtoWriter, model: OnnxModel): void {
  for (const node of model.nodes) graph.message(1, (w) => writeNode(w, node));
  graph.string(2, model.graphName);
  for (const tensor of model.initializers) graph.message(5, (w) => writeTensor(w, tensor));
  for (const input of model.inputs) graph.message(11, (w) => writeValueInfo(w, input));
  for (const output of model.outputs) graph.message(12, (w) => writeValueInfo(w, output));
}

function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.op);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, (a) => writeAttribute(a, name, value));
}

function writeAttribute(w: ProtoWriter, name: string, value: OnnxAttribute): void {
  w.string(1, name);
  if (typeof value === 'number') {
    w.varint(3, value).varint(20, AttributeType.INT);
  } else if (typeof value === 'string') {
    w.string(4, value).varint(20, AttributeType.STRING);
  } else if ('float' in value) {
    w.float(2, value.float).varint(20, AttributeType.FLOAT);
  } else if ('floats' in value) {
    for (const item of value.floats) w.float(7, item);
    w.varint(20, AttributeType.FLOATS);
  } else {
    for (const item of value) w.varint(8, item);
    w.varint(20, AttributeType.INTS);
  }
}

function writeTensor(w: ProtoWriter, tensor: OnnxTensor): void {
  for (const dim of tensor.dims) w.varint(1, dim);
  w.varint(2, tensor.type).string(8, tensor.name).bytes(9, tensor.raw);
}

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(1, info.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.varint(1, TensorType.FLOAT).message(2, (shape) => {
        for (const dim of info.shape) shape.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
      }),
    ),
  );
}

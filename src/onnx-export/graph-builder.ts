/**
 * The exporter's working graph: nodes in topological order, float initializers
 * (weights keep their quantised form beside the float values) and small constants.
 * Values carry their Keras (channels-last) shape; a rank-4 value is stored NCHW in
 * the graph, every other rank in Keras order.
 */
import type { OnnxAttribute } from './onnx-proto.js';
import type { Quantised } from './weights.js';

export type Dim = number | null;

export interface Value {
  readonly name: string;
  /** Keras order, batch first (null when unknown). */
  readonly shape: readonly Dim[];
}

export interface GraphNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
  /** Set on the BatchNormalization placeholder until it is folded or lowered. */
  batchNorm?: BatchNormParams;
}

export interface BatchNormParams {
  /** gamma / sqrt(variance + epsilon), per channel. */
  readonly factor: Float64Array;
  /** beta - mean * factor, per channel. */
  readonly shift: Float64Array;
  readonly rank: number;
}

export interface WeightInitializer {
  readonly kind: 'weight';
  readonly dims: readonly number[];
  readonly values: Float32Array;
  readonly quantised?: Quantised;
  /** Per-output-channel (axis 0) multiplier from a folded BatchNormalization. */
  channelScale?: Float64Array;
}

export interface FloatInitializer {
  readonly kind: 'float';
  readonly dims: readonly number[];
  readonly values: readonly number[] | Float32Array;
}

export interface Int64Initializer {
  readonly kind: 'int64';
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

export type Initializer = WeightInitializer | FloatInitializer | Int64Initializer;

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  private readonly used = new Set<string>();
  private readonly scalars = new Map<number, string>();

  /** A name not yet used by any value, node or initializer. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  /** Adds a node with one output and returns the output's name. */
  add(op: string, inputs: readonly string[], base: string, attributes: Record<string, OnnxAttribute> = {}): string {
    const output = this.unique(base);
    this.nodes.push({ op, name: output, inputs: [...inputs], outputs: [output], attributes });
    return output;
  }

  weight(base: string, dims: readonly number[], values: Float32Array, quantised?: Quantised): string {
    const name = this.unique(base);
    this.initializers.set(name, { kind: 'weight', dims, values, ...(quantised !== undefined ? { quantised } : {}) });
    return name;
  }

  floats(base: string, dims: readonly number[], values: readonly number[] | Float32Array): string {
    const name = this.unique(base);
    this.initializers.set(name, { kind: 'float', dims, values });
    return name;
  }

  int64s(base: string, values: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.set(name, { kind: 'int64', dims: [values.length], values });
    return name;
  }

  /** A float32 scalar constant, shared by every node that needs the same value. */
  scalar(value: number): string {
    const known = this.scalars.get(value);
    if (known !== undefined) return known;
    const name = this.floats(`const_${String(value).replace(/[^0-9a-z]/gi, '_')}`, [], [value]);
    this.scalars.set(value, name);
    return name;
  }
}

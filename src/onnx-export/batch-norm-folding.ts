/**
 * Resolves the BatchNormalization placeholders: folded into the Conv that feeds
 * them when nothing else reads the Conv's output or shares its weights (kernel
 * scaled per output channel, bias shifted), otherwise lowered to Mul + Add.
 */
import type { GraphBuilder, GraphNode } from './graph-builder.js';

export function resolveBatchNorms(graph: GraphBuilder, graphOutputs: ReadonlySet<string>): void {
  const reads = new Map<string, number>();
  for (const node of graph.nodes) for (const input of node.inputs) reads.set(input, (reads.get(input) ?? 0) + 1);
  const producers = new Map<string, GraphNode>();
  const resolved: GraphNode[] = [];
  for (const node of graph.nodes) {
    if (node.batchNorm === undefined) {
      resolved.push(node);
      for (const output of node.outputs) producers.set(output, node);
      continue;
    }
    const input = node.inputs[0]!;
    const output = node.outputs[0]!;
    const { factor, shift, rank } = node.batchNorm;
    const producer = producers.get(input);
    if (producer !== undefined && foldable(graph, producer, input, reads, graphOutputs)) {
      const kernel = graph.initializers.get(producer.inputs[1]!);
      if (kernel?.kind !== 'weight') continue; // checked by foldable
      kernel.channelScale = kernel.channelScale === undefined ? factor : kernel.channelScale.map((scale, c) => scale * factor[c]!);
      const biasName = producer.inputs[2];
      const bias = biasName === undefined ? undefined : graph.initializers.get(biasName);
      const shifted = Float32Array.from(factor, (f, c) => (bias === undefined ? 0 : Number(bias.values[c])) * f + shift[c]!);
      if (biasName === undefined) producer.inputs.push(graph.floats(`${output}/bias`, [factor.length], shifted));
      else graph.initializers.set(biasName, { kind: 'float', dims: [factor.length], values: shifted });
      producer.outputs[0] = output;
      producers.set(output, producer);
      continue;
    }
    const dims = rank === 4 ? [factor.length, 1, 1] : [factor.length];
    const scaled = graph.unique(`${output}/scaled`);
    resolved.push({ op: 'Mul', name: scaled, inputs: [input, graph.floats(`${output}/factor`, dims, Float32Array.from(factor))], outputs: [scaled], attributes: {} });
    resolved.push({ op: 'Add', name: output, inputs: [scaled, graph.floats(`${output}/shift`, dims, Float32Array.from(shift))], outputs: [output], attributes: {} });
  }
  graph.nodes.splice(0, graph.nodes.length, ...resolved);
}

function foldable(graph: GraphBuilder, producer: GraphNode, value: string, reads: ReadonlyMap<string, number>, graphOutputs: ReadonlySet<string>): boolean {
  if (producer.op !== 'Conv' || reads.get(value) !== 1 || graphOutputs.has(value)) return false;
  const [, kernel, bias] = producer.inputs;
  if (kernel === undefined || graph.initializers.get(kernel)?.kind !== 'weight' || reads.get(kernel) !== 1) return false;
  return bias === undefined || reads.get(bias) === 1;
}

import type { GraphBuilder, Value } from './graph-builder.js';
import type { LayerConfig } from './layer-config.js';
import type { WeightStore } from './weight-store.js';

/** What a layer mapping gets: the graph to add to, the weights, and a name for its output. */
export interface EmitContext {
  readonly graph: GraphBuilder;
  readonly weights: WeightStore;
  /** Base name for the layer's output (nested models add their name as a prefix). */
  readonly base: string;
}

/** Maps one call of a Keras layer: its inputs to its output. */
export type LayerEmitter = (config: LayerConfig, inputs: readonly Value[], context: EmitContext) => Value;

/**
 * Reads the Keras model config inside a TF.js layers model.json: a Sequential (a
 * list of layers) or a functional Model (layers wired by inbound nodes), either of
 * which may contain further models as layers.
 */
import { OnnxExportError, UnsupportedLayerError } from './errors.js';

export interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly tensor: number;
}

export interface KerasLayer {
  readonly className: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
  /** One entry per call of the layer, listing that call's input tensors (empty in a Sequential). */
  readonly inboundNodes: readonly (readonly TensorRef[])[];
}

export type KerasModel =
  | { readonly kind: 'sequential'; readonly name: string; readonly layers: readonly KerasLayer[] }
  | { readonly kind: 'functional'; readonly name: string; readonly layers: readonly KerasLayer[]; readonly inputs: readonly TensorRef[]; readonly outputs: readonly TensorRef[] };

export const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/** The model config from modelTopology ({model_config: …} as Keras writes it, or the config itself as tfjs-layers saves it). */
export function parseTopology(topology: unknown): KerasModel {
  if (!isRecord(topology)) throw new OnnxExportError('modelTopology is not a JSON object');
  const root = isRecord(topology.model_config) ? topology.model_config : topology;
  return parseModel(String(root.class_name), root.config, 'model');
}

export function parseModel(className: string, config: unknown, fallbackName: string): KerasModel {
  if (className === 'Sequential') {
    // Keras before 2.2.3 wrote a Sequential's config as the bare list of layers.
    const layers = Array.isArray(config) ? config : isRecord(config) && Array.isArray(config.layers) ? config.layers : undefined;
    if (layers === undefined) throw new OnnxExportError(`Sequential model ${fallbackName} has no layers list`);
    const name = isRecord(config) && typeof config.name === 'string' ? config.name : fallbackName;
    return { kind: 'sequential', name, layers: layers.map((layer, i) => parseLayer(layer, `${name} layer ${i}`)) };
  }
  if (className === 'Model' || className === 'Functional') {
    if (!isRecord(config) || !Array.isArray(config.layers)) throw new OnnxExportError(`${className} ${fallbackName} has no layers list`);
    const name = typeof config.name === 'string' ? config.name : fallbackName;
    return {
      kind: 'functional',
      name,
      layers: config.layers.map((layer, i) => parseLayer(layer, `${name} layer ${i}`)),
      inputs: parseRefs(config.input_layers, `${name} input_layers`),
      outputs: parseRefs(config.output_layers, `${name} output_layers`),
    };
  }
  throw new UnsupportedLayerError(fallbackName, className, 'the top level must be a Sequential or a functional Model');
}

function parseLayer(json: unknown, where: string): KerasLayer {
  if (!isRecord(json) || typeof json.class_name !== 'string') throw new OnnxExportError(`${where} has no class_name`);
  const config = isRecord(json.config) ? json.config : {};
  const name = typeof json.name === 'string' ? json.name : typeof config.name === 'string' ? config.name : where;
  const inbound = Array.isArray(json.inbound_nodes) ? json.inbound_nodes : [];
  return {
    className: json.class_name,
    name,
    // A nested Sequential's config may be a bare list: keep it under `layers`.
    config: Array.isArray(json.config) ? { name, layers: json.config } : config,
    inboundNodes: inbound.map((node, i) => {
      if (!Array.isArray(node)) throw new UnsupportedLayerError(name, json.class_name as string, `inbound node ${i} is not in the list form TF.js reads`);
      return node.map((ref) => parseRef(ref, `${name} inbound node ${i}`));
    }),
  };
}

function parseRefs(json: unknown, where: string): TensorRef[] {
  if (!Array.isArray(json) || json.length === 0) throw new OnnxExportError(`${where} is missing`);
  // A single-input model may write [name, node, tensor] instead of a list of those.
  const refs = typeof json[0] === 'string' ? [json] : json;
  return refs.map((ref) => parseRef(ref, where));
}

function parseRef(json: unknown, where: string): TensorRef {
  if (!Array.isArray(json) || typeof json[0] !== 'string') throw new OnnxExportError(`${where}: a tensor reference is not [layer, node, tensor]`);
  return { layer: json[0], node: Number(json[1] ?? 0), tensor: Number(json[2] ?? 0) };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

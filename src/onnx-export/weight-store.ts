/** Looks up a layer's weights by the names TF.js gives them ("<layer>/<param>"). */
import { UnsupportedLayerError } from './errors.js';
import type { DecodedWeight } from './weights.js';

export class WeightStore {
  private readonly bySuffix = new Map<string, DecodedWeight[]>();

  constructor(private readonly weights: ReadonlyMap<string, DecodedWeight>) {
    for (const weight of weights.values()) {
      const parts = weight.name.split('/');
      // Keras may scope a nested model's weights as "<model>/<layer>/<param>".
      if (parts.length > 2) {
        const suffix = parts.slice(-2).join('/');
        this.bySuffix.set(suffix, [...(this.bySuffix.get(suffix) ?? []), weight]);
      }
    }
  }

  find(layer: string, param: string): DecodedWeight | undefined {
    const key = `${layer}/${param}`;
    const exact = this.weights.get(key);
    if (exact !== undefined) return exact;
    const scoped = this.bySuffix.get(key);
    return scoped?.length === 1 ? scoped[0] : undefined;
  }

  /** The weight, checked to have the shape the layer config implies. */
  require(layer: string, className: string, param: string, shape: readonly number[]): DecodedWeight {
    const weight = this.find(layer, param);
    if (weight === undefined) throw new UnsupportedLayerError(layer, className, `no weight named ${layer}/${param}`);
    if (weight.shape.length !== shape.length || weight.shape.some((dim, i) => dim !== shape[i])) {
      throw new UnsupportedLayerError(layer, className, `weight ${weight.name} has shape [${weight.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return weight;
  }
}

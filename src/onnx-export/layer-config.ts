/** Typed reads of a Keras layer config; anything unexpected is an UnsupportedLayerError. */
import { UnsupportedLayerError } from './errors.js';
import type { KerasLayer } from './keras-topology.js';

export class LayerConfig {
  constructor(readonly layer: KerasLayer) {}

  fail(detail: string): never {
    throw new UnsupportedLayerError(this.layer.name, this.layer.className, detail);
  }

  raw(key: string): unknown {
    return this.layer.config[key];
  }

  number(key: string, fallback?: number): number {
    const value = this.layer.config[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(`${key} must be a number`);
    return value;
  }

  optionalNumber(key: string): number | undefined {
    const value = this.layer.config[key];
    return value === null || value === undefined ? undefined : this.number(key);
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.layer.config[key] ?? fallback;
    if (typeof value !== 'boolean') return this.fail(`${key} must be true or false`);
    return value;
  }

  string(key: string, fallback?: string): string {
    const value = this.layer.config[key] ?? fallback;
    if (typeof value !== 'string') return this.fail(`${key} must be a string`);
    return value;
  }

  /** An int or a pair of ints (kernel_size, strides, dilation_rate, pool_size). */
  pair(key: string, fallback?: number | readonly number[]): [number, number] {
    const value = this.layer.config[key] ?? fallback;
    if (typeof value === 'number' && Number.isInteger(value)) return [value, value];
    if (Array.isArray(value) && value.length === 2 && value.every((v) => Number.isInteger(v))) return [value[0] as number, value[1] as number];
    return this.fail(`${key} must be an integer or a pair of integers`);
  }

  padding(): 'same' | 'valid' {
    const padding = this.string('padding', 'valid');
    if (padding !== 'same' && padding !== 'valid') return this.fail(`padding "${padding}" is not supported`);
    return padding;
  }

  /** Layers with a data_format must be channels_last, as every TF.js export is. */
  requireChannelsLast(): void {
    const format = this.layer.config.data_format;
    if (format !== undefined && format !== null && format !== 'channels_last') this.fail(`data_format ${String(format)} is not supported`);
  }
}

/**
 * Decodes a TF.js weights manifest (weightSpecs + weightData) the way tfjs-core's
 * io.decodeWeights does, without creating tensors: float32/int32 as stored,
 * float16 widened, uint8/uint16 affine-quantised values as q * scale + min
 * (computed in float64, then stored as float32, exactly as tfjs does).
 */
import type { io } from '@tensorflow/tfjs-core';
import { OnnxExportError } from './errors.js';

export interface Quantised {
  readonly q: Uint8Array | Uint16Array;
  readonly scale: number;
  readonly min: number;
}

export interface DecodedWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
  /** Set for uint8/uint16-quantised weights, so they can be stored small. */
  readonly quantised?: Quantised;
}

export function decodeWeights(specs: readonly io.WeightsManifestEntry[], data: io.WeightData | undefined): Map<string, DecodedWeight> {
  const bytes = concatWeightData(data);
  const out = new Map<string, DecodedWeight>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const quantization = spec.quantization;
    const elementBytes = quantization !== undefined ? bytesPerElement(quantization.dtype, spec.name) : bytesPerElement(spec.dtype, spec.name);
    const byteLength = size * elementBytes;
    if (offset + byteLength > bytes.byteLength) throw new OnnxExportError(`weight ${spec.name} runs past the end of the weight data (${bytes.byteLength} bytes)`);
    // Copy so typed-array views are aligned.
    const chunk = bytes.slice(offset, offset + byteLength).buffer;
    offset += byteLength;
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new OnnxExportError(`weight ${spec.name} has dtype ${spec.dtype}; only float32 and int32 weights are supported`);
    let values: Float32Array;
    let quantised: Quantised | undefined;
    if (quantization === undefined) {
      values = spec.dtype === 'float32' ? new Float32Array(chunk) : Float32Array.from(new Int32Array(chunk));
    } else if (quantization.dtype === 'float16') {
      values = Float32Array.from(new Uint16Array(chunk), float16ToNumber);
    } else {
      const { scale, min } = quantization;
      if (typeof scale !== 'number' || typeof min !== 'number') throw new OnnxExportError(`weight ${spec.name} is ${quantization.dtype}-quantised without min and scale`);
      const q = quantization.dtype === 'uint8' ? new Uint8Array(chunk) : new Uint16Array(chunk);
      values = new Float32Array(q.length);
      for (let i = 0; i < q.length; i++) values[i] = spec.dtype === 'int32' ? Math.round(q[i]! * scale + min) : q[i]! * scale + min;
      if (spec.dtype === 'float32') quantised = { q, scale, min };
    }
    out.set(spec.name, { name: spec.name, shape: spec.shape, values, ...(quantised !== undefined ? { quantised } : {}) });
  }
  return out;
}

function bytesPerElement(dtype: string, name: string): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'uint16':
      return 2;
    case 'uint8':
      return 1;
    default:
      throw new OnnxExportError(`weight ${name} has unsupported dtype ${dtype}`);
  }
}

function concatWeightData(data: io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return out;
}

function float16ToNumber(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

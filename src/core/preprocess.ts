import type { RgbImage } from './image-decode.js';
import type { ModelManifest } from './model-manifest.js';

/** How a picture is fitted to the model's input: centre-crop to its aspect ratio, or stretch (what nsfwjs does). */
export type FitMode = 'crop' | 'stretch';
export const FIT_MODES: readonly FitMode[] = ['crop', 'stretch'];

type InputSpec = Pick<ModelManifest, 'input' | 'normalization'>;

/** The centred region of a width × height picture with the aspect ratio of the model input. */
export interface CropRegion {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export function cropRegion(width: number, height: number, input: InputSpec['input'], fit: FitMode): CropRegion {
  if (fit === 'stretch') return { x: 0, y: 0, width, height };
  // Compare width/height against input.width/input.height without rounding error.
  if (width * input.height > height * input.width) {
    const cropped = Math.max(1, Math.round((height * input.width) / input.height));
    return { x: Math.floor((width - cropped) / 2), y: 0, width: cropped, height };
  }
  if (width * input.height < height * input.width) {
    const cropped = Math.max(1, Math.round((width * input.height) / input.width));
    return { x: 0, y: Math.floor((height - cropped) / 2), width, height: cropped };
  }
  return { x: 0, y: 0, width, height };
}

/**
 * Turns decoded pixels into the model's input, NHWC float32: normalise, then (for
 * `crop`, after cutting the centred region) resize bilinearly with aligned corners,
 * in the order and with the kernel nsfwjs uses (tf.image.resizeBilinear(x, size,
 * true)), so `stretch` scores equal nsfwjs's. Frames from the sampler already have
 * the input size and are only normalised. Pure JavaScript: the same numbers reach
 * every engine.
 */
export function toModelInput(images: readonly RgbImage[], spec: InputSpec, fit: FitMode): Float32Array {
  const { width, height } = spec.input;
  const plane = width * height * 3;
  const out = new Float32Array(images.length * plane);
  images.forEach((image, n) => writeInput(image, spec, fit, out.subarray(n * plane, (n + 1) * plane)));
  return out;
}

function writeInput(image: RgbImage, spec: InputSpec, fit: FitMode, out: Float32Array): void {
  const { width: outW, height: outH } = spec.input;
  const { divisor, offset } = spec.normalization;
  const src = image.data;
  const region = cropRegion(image.width, image.height, spec.input, fit);
  const norm = (i: number): number => Math.fround(Math.fround(src[i]! / divisor) + offset);
  if (region.width === outW && region.height === outH) {
    for (let y = 0; y < outH; y += 1) {
      const row = ((region.y + y) * image.width + region.x) * 3;
      for (let i = 0; i < outW * 3; i += 1) out[y * outW * 3 + i] = norm(row + i);
    }
    return;
  }
  // TF.js's resizeBilinear with alignCorners = true (and halfPixelCenters = false).
  const scaleY = outH > 1 ? (region.height - 1) / (outH - 1) : region.height / outH;
  const scaleX = outW > 1 ? (region.width - 1) / (outW - 1) : region.width / outW;
  for (let y = 0; y < outH; y += 1) {
    const fy = Math.fround(scaleY * y);
    const top = Math.floor(fy);
    const bottom = Math.min(region.height - 1, Math.ceil(fy));
    const dy = fy - top;
    const topRow = ((region.y + top) * image.width + region.x) * 3;
    const bottomRow = ((region.y + bottom) * image.width + region.x) * 3;
    for (let x = 0; x < outW; x += 1) {
      const fx = Math.fround(scaleX * x);
      const left = Math.floor(fx);
      const right = Math.min(region.width - 1, Math.ceil(fx));
      const dx = fx - left;
      const target = (y * outW + x) * 3;
      for (let c = 0; c < 3; c += 1) {
        const tl = norm(topRow + left * 3 + c);
        const tr = norm(topRow + right * 3 + c);
        const bl = norm(bottomRow + left * 3 + c);
        const br = norm(bottomRow + right * 3 + c);
        const upper = tl + (tr - tl) * dx;
        const lower = bl + (br - bl) * dx;
        out[target + c] = upper + (lower - upper) * dy;
      }
    }
  }
}

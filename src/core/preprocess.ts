import { tf } from './tf-backend.js';
import type { RgbImage } from './image-decode.js';
import type { ModelManifest } from './model-manifest.js';

/**
 * Turns decoded pixels into the model's input: normalise, then stretch to the
 * input size with bilinear resize (align corners), in the same order as nsfwjs so
 * scores match it. Frames from the sampler already have the input size, so the
 * resize is skipped for them.
 */
export function toInputTensor(image: RgbImage, manifest: Pick<ModelManifest, 'input' | 'normalization'>): tf.Tensor3D {
  return tf.tidy(() => {
    const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    let normalised: tf.Tensor3D = tf.div(tf.cast(pixels, 'float32'), tf.scalar(manifest.normalization.divisor));
    if (manifest.normalization.offset !== 0) normalised = tf.add(normalised, tf.scalar(manifest.normalization.offset));
    const { width, height } = manifest.input;
    if (image.width === width && image.height === height) return normalised;
    return tf.image.resizeBilinear(normalised, [height, width], true);
  });
}

import { isEncoded, type FrameImage } from '../../src/core/image-decode.js';

/** A sampled frame's bytes, to compare frames for identity: raw RGB rows, or the image file. */
export function frameBytes(image: FrameImage): Buffer {
  return Buffer.from(isEncoded(image) ? image : image.data);
}

/**
 * How a frame travels to the function. Decoded frames go losslessly as raw RGB
 * rows, deflated (zlib, so a damaged payload fails its checksum) and base64'd, with
 * their size beside them: about as small as a PNG of the same pixels (PNG is that
 * deflate plus per-row filters) at a fraction of the CPU (see the README's "Frame
 * format"). Image files (stills, --frame-format jpeg) go as their own bytes.
 */
import { promisify } from 'node:util';
import { deflate, inflateSync, constants } from 'node:zlib';
import { ImageDecodeError, errorMessage } from './errors.js';
import { isEncoded, type FrameImage, type RgbImage } from './image-decode.js';
import { imageSizeProblem } from './image-header.js';

export interface WirePixels {
  readonly width: number;
  readonly height: number;
  /** base64 of zlib(deflate(rgb24 rows, top to bottom)). */
  readonly data: string;
}

/** One frame's image on the wire: `image` (base64 JPEG/PNG) or `pixels`. */
export type WireImage = { readonly image: string } | { readonly pixels: WirePixels };

/** zlib level 1: measured as small as level 6 on video frames within a few per cent, at a third of the CPU (bench: wire). */
export const PIXEL_DEFLATE_LEVEL = 1;

const deflateAsync = promisify(deflate);

/** Encodes a frame for the wire; deflate runs on libuv's thread pool, off the event loop. */
export async function toWireImage(image: FrameImage, level = PIXEL_DEFLATE_LEVEL): Promise<WireImage> {
  if (isEncoded(image)) return { image: Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString('base64') };
  const packed = await deflateAsync(image.data, { level, strategy: constants.Z_DEFAULT_STRATEGY });
  return { pixels: { width: image.width, height: image.height, data: packed.toString('base64') } };
}

/** Bytes the image carries once decoded from base64 (what counts against the payload limit, ×4/3). */
export function wireImageBytes(wire: WireImage): number {
  const text = 'image' in wire ? wire.image : wire.pixels.data;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

/** Decodes `pixels` from the wire. Throws ImageDecodeError naming what is wrong. */
export function fromWirePixels(pixels: WirePixels, packed: Uint8Array): RgbImage {
  const { width, height } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new ImageDecodeError('pixels width and height must be positive integers');
  const problem = imageSizeProblem(width, height);
  if (problem !== undefined) throw new ImageDecodeError(`pixels refused: ${problem.replace(/^it declares/, 'they declare')}`);
  const expected = width * height * 3;
  let data: Buffer;
  try {
    // One byte more than expected tells a payload that is too long from one that fits.
    data = inflateSync(packed, { maxOutputLength: expected + 1 });
  } catch (error) {
    throw new ImageDecodeError(`pixels are not valid deflated RGB: ${errorMessage(error)}`, { cause: error });
  }
  if (data.length !== expected) throw new ImageDecodeError(`pixels hold ${data.length} bytes, not ${width}×${height}×3 = ${expected}`);
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

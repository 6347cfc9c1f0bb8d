import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ImageDecodeError, errorMessage } from './errors.js';
import { MAX_IMAGE_MEGAPIXELS, imageHeaderProblem } from './image-header.js';

export { MAX_IMAGE_MEGAPIXELS } from './image-header.js';

/** Pixels as packed 8-bit RGB, row-major. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * A frame as it travels from the sampler to the classifier: decoded pixels (what
 * ffmpeg decoded, at the model's size, lossless), or the bytes of an image file
 * (a JPEG/PNG still, or a JPEG frame with --frame-format jpeg), decoded at its own size.
 */
export type FrameImage = RgbImage | Uint8Array;

export function isEncoded(image: FrameImage): image is Uint8Array {
  return image instanceof Uint8Array;
}

/** The pixels of a frame, decoding an image file (throws ImageDecodeError). */
export function framePixels(image: FrameImage): RgbImage {
  return isEncoded(image) ? decodeImage(image) : image;
}

export type ImageKind = 'jpeg' | 'png';

export function sniffImage(bytes: Uint8Array): ImageKind | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  return undefined;
}

/**
 * Decodes a JPEG or PNG into RGB with pure-JS decoders, so the CLI and the Lambda
 * (on either architecture) see identical pixels.
 */
export function decodeImage(bytes: Uint8Array): RgbImage {
  const kind = sniffImage(bytes);
  if (kind === undefined) throw new ImageDecodeError('not a JPEG or PNG image');
  // The declared size first: decoding a 74-byte PNG that declares 30000×30000 takes gigabytes.
  const problem = imageHeaderProblem(bytes);
  if (problem !== undefined) throw new ImageDecodeError(`image refused before decoding: ${problem}`);
  try {
    return kind === 'jpeg' ? decodeJpeg(bytes) : decodePng(bytes);
  } catch (error) {
    throw new ImageDecodeError(`cannot decode ${kind.toUpperCase()}: ${errorMessage(error)}`, { cause: error });
  }
}

function decodeJpeg(bytes: Uint8Array): RgbImage {
  const decoded = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    maxResolutionInMP: MAX_IMAGE_MEGAPIXELS,
    maxMemoryUsageInMB: 512,
  });
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}

function decodePng(bytes: Uint8Array): RgbImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let source = 0, target = 0; source < png.data.length; source += 4, target += 3) {
    rgb[target] = png.data[source]!;
    rgb[target + 1] = png.data[source + 1]!;
    rgb[target + 2] = png.data[source + 2]!;
  }
  return { width: png.width, height: png.height, data: rgb };
}

/**
 * The size an image file declares, read from its header without decoding it:
 * a 74-byte PNG can declare 30000×30000, and decoding it costs gigabytes. Every
 * path that decodes an image (the classifier, the function, the CLI's still
 * input before ffprobe) asks this first and refuses what is over the limit.
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp' | 'tiff';

/** Largest image decoded: 40 megapixels (a 7296×5472 camera photo)… */
export const MAX_IMAGE_MEGAPIXELS = 40;
/** …and at most this many pixels on either side. */
export const MAX_IMAGE_SIDE = 16384;

export type ImageHeader =
  | { readonly format: ImageFormat; readonly width: number; readonly height: number }
  /** The format is known but its size is not in these bytes: `truncated` when more bytes might hold it. */
  | { readonly format: ImageFormat; readonly problem: string; readonly truncated: boolean };

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 4 && (ascii(bytes, 0, 4) === 'II*\0' || ascii(bytes, 0, 4) === 'MM\0*')) return 'tiff';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  // 'BM' alone is too weak a signature: also ask for a known DIB header size.
  if (bytes.length >= 18 && ascii(bytes, 0, 2) === 'BM' && [12, 40, 52, 56, 64, 108, 124].includes(u32le(bytes, 14))) return 'bmp';
  return undefined;
}

/** The declared size of a PNG, JPEG, GIF, BMP, WebP or TIFF; undefined for anything else. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  const format = sniffImageFormat(bytes);
  if (format === undefined) return undefined;
  const size = HEADER_READERS[format](bytes);
  if (typeof size === 'string') return { format, problem: size, truncated: size === TRUNCATED };
  return { format, ...size };
}

/** Why an image of this size is refused, or undefined when it may be decoded. */
export function imageSizeProblem(width: number, height: number): string | undefined {
  if (width <= 0 || height <= 0) return `it declares ${width}×${height} pixels`;
  const megapixels = (width * height) / 1e6;
  if (width <= MAX_IMAGE_SIDE && height <= MAX_IMAGE_SIDE && megapixels <= MAX_IMAGE_MEGAPIXELS) return undefined;
  return `it declares ${width}×${height} pixels (${megapixels.toFixed(1)} megapixels); the limit is ${MAX_IMAGE_MEGAPIXELS} megapixels and ${MAX_IMAGE_SIDE} pixels a side`;
}

/** Why these bytes must not be decoded (over the limit, or no size to be found), or undefined. */
export function imageHeaderProblem(bytes: Uint8Array): string | undefined {
  const header = readImageHeader(bytes);
  if (header === undefined) return undefined;
  if ('problem' in header) return `${header.format.toUpperCase()} ${header.problem}`;
  return imageSizeProblem(header.width, header.height);
}

const TRUNCATED = 'header is truncated';
type Size = { width: number; height: number } | string;

const HEADER_READERS: Record<ImageFormat, (bytes: Uint8Array) => Size> = {
  png(bytes) {
    if (bytes.length < 24) return TRUNCATED;
    if (ascii(bytes, 12, 16) !== 'IHDR') return 'has no IHDR chunk first';
    return { width: u32be(bytes, 16), height: u32be(bytes, 20) };
  },
  jpeg: jpegSize,
  tiff: tiffSize,
  gif(bytes) {
    if (bytes.length < 10) return TRUNCATED;
    return { width: u16le(bytes, 6), height: u16le(bytes, 8) };
  },
  bmp(bytes) {
    if (bytes.length < 26) return TRUNCATED;
    const dibSize = u32le(bytes, 14);
    if (dibSize === 12) return { width: u16le(bytes, 18), height: u16le(bytes, 20) };
    // Signed: a negative height is a top-down bitmap.
    return { width: Math.abs(i32le(bytes, 18)), height: Math.abs(i32le(bytes, 22)) };
  },
  webp(bytes) {
    if (bytes.length < 30) return TRUNCATED;
    const chunk = ascii(bytes, 12, 16);
    if (chunk === 'VP8X') return { width: 1 + u24le(bytes, 24), height: 1 + u24le(bytes, 27) };
    if (chunk === 'VP8L') {
      const bits = u32le(bytes, 21);
      return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
    }
    if (chunk === 'VP8 ') return { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff };
    return `has an unknown first chunk "${chunk.replace(/[^\x20-\x7e]/g, '?')}"`;
  },
};

/** The first IFD's ImageWidth (256) and ImageLength (257), SHORT or LONG, in either byte order. */
function tiffSize(bytes: Uint8Array): Size {
  const little = bytes[0] === 0x49;
  const u16 = (at: number): number => (little ? u16le(bytes, at) : u16be(bytes, at));
  const u32 = (at: number): number => (little ? u32le(bytes, at) : u32be(bytes, at));
  if (bytes.length < 8) return TRUNCATED;
  const ifd = u32(4);
  if (ifd + 2 > bytes.length) return TRUNCATED;
  const count = u16(ifd);
  let width: number | undefined;
  let height: number | undefined;
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > bytes.length) return TRUNCATED;
    const tag = u16(entry);
    if (tag !== 256 && tag !== 257) continue;
    const type = u16(entry + 2);
    const value = type === 3 ? u16(entry + 8) : type === 4 ? u32(entry + 8) : undefined;
    if (value === undefined) return `has an image ${tag === 256 ? 'width' : 'length'} of type ${type}`;
    if (tag === 256) width = value;
    else height = value;
  }
  if (width === undefined || height === undefined) return 'has no ImageWidth and ImageLength in its first IFD';
  return { width, height };
}

/** Start-of-frame markers: every SOFn but DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Walks the marker segments to the first SOFn, skipping each by its length. */
function jpegSize(bytes: Uint8Array): Size {
  let offset = 2;
  while (offset < bytes.length) {
    // Tolerate junk between segments, as decoders do: find the next 0xFF, then skip fill bytes.
    if (bytes[offset] !== 0xff) {
      offset++;
      continue;
    }
    while (offset < bytes.length && bytes[offset] === 0xff) offset++;
    const marker = bytes[offset];
    if (marker === undefined) return TRUNCATED;
    offset++;
    if (marker === 0x00 || marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) return 'has no frame header (SOF) before its image data';
    if (offset + 2 > bytes.length) return TRUNCATED;
    const length = u16be(bytes, offset);
    if (length < 2) return `has a marker segment of length ${length}`;
    if (isStartOfFrame(marker)) {
      if (offset + 7 > bytes.length) return TRUNCATED;
      const height = u16be(bytes, offset + 3);
      const width = u16be(bytes, offset + 5);
      // Height 0 defers it to a DNL marker after the scan, which no decoder here reads.
      if (height === 0) return 'declares its height in a DNL marker, which is not supported';
      return { width, height };
    }
    offset += length;
  }
  return TRUNCATED;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}
function u16be(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}
function u32be(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}
function u16le(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}
function u24le(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
}
function u32le(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
function i32le(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

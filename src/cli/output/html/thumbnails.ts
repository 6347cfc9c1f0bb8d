import jpeg from 'jpeg-js';

/** Thumbnail width in pixels: big enough to recognise a scene, small enough for 150 of them in one file. */
export const THUMBNAIL_WIDTH = 96;
const THUMBNAIL_QUALITY = 70;

/**
 * Shrinks each frame JPEG with a box filter and re-encodes it, in pure JS
 * (jpeg-js), and returns data: URIs by frame index. A frame that does not
 * decode simply has no thumbnail: the report must still be written.
 */
export function makeThumbnails(frames: ReadonlyMap<number, Uint8Array>, width = THUMBNAIL_WIDTH): Map<number, string> {
  const thumbnails = new Map<number, string>();
  for (const [index, bytes] of frames) {
    const uri = thumbnailUri(bytes, width);
    if (uri !== undefined) thumbnails.set(index, uri);
  }
  return thumbnails;
}

export function thumbnailUri(bytes: Uint8Array, width = THUMBNAIL_WIDTH): string | undefined {
  let source: { width: number; height: number; data: Uint8Array };
  try {
    source = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 40 });
  } catch {
    return undefined;
  }
  const scaled = source.width > width ? boxDownscale(source, width) : source;
  const encoded = jpeg.encode({ width: scaled.width, height: scaled.height, data: scaled.data }, THUMBNAIL_QUALITY);
  return `data:image/jpeg;base64,${Buffer.from(encoded.data).toString('base64')}`;
}

/** Averages every source pixel into the destination pixel it falls in (RGBA in, RGBA out). */
function boxDownscale(source: { width: number; height: number; data: Uint8Array }, width: number): { width: number; height: number; data: Uint8Array } {
  const height = Math.max(1, Math.round((source.height * width) / source.width));
  const sums = new Float64Array(width * height * 3);
  const counts = new Uint32Array(width * height);
  for (let y = 0; y < source.height; y += 1) {
    const row = Math.min(height - 1, Math.floor((y * height) / source.height)) * width;
    for (let x = 0; x < source.width; x += 1) {
      const target = row + Math.min(width - 1, Math.floor((x * width) / source.width));
      const from = (y * source.width + x) * 4;
      for (let channel = 0; channel < 3; channel += 1) sums[target * 3 + channel] = sums[target * 3 + channel]! + source.data[from + channel]!;
      counts[target] = counts[target]! + 1;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i += 1) {
    const count = counts[i] || 1;
    data[i * 4] = Math.round(sums[i * 3]! / count);
    data[i * 4 + 1] = Math.round(sums[i * 3 + 1]! / count);
    data[i * 4 + 2] = Math.round(sums[i * 3 + 2]! / count);
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

import type { RgbImage } from './image-decode.js';

/** A smaller copy of the picture, `width` pixels wide, each pixel the mean of the area it covers (ffmpeg's `area`). */
export function shrinkImage(image: RgbImage, width: number): RgbImage {
  if (width >= image.width) return image;
  const height = Math.max(1, Math.round((image.height * width) / image.width));
  const data = new Uint8Array(width * height * 3);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y += 1) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
    for (let x = 0; x < width; x += 1) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      const sums = [0, 0, 0];
      for (let yy = y0; yy < y1; yy += 1) {
        for (let xx = x0; xx < x1; xx += 1) {
          const at = (yy * image.width + xx) * 3;
          sums[0]! += image.data[at]!;
          sums[1]! += image.data[at + 1]!;
          sums[2]! += image.data[at + 2]!;
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const out = (y * width + x) * 3;
      for (let c = 0; c < 3; c += 1) data[out + c] = Math.round(sums[c]! / count);
    }
  }
  return { width, height, data };
}

/** --save-frames: each sampled frame as an image file (PNG for lossless frames, the file's own bytes otherwise). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { isEncoded, sniffImage, type FrameImage, type RgbImage } from '../../core/image-decode.js';
import { formatTimecode } from '../../core/timestamps.js';

/** PNG bytes of decoded pixels (lossless). */
export function encodePng(image: RgbImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** The file a frame is saved as, and its bytes. */
export function frameFile(image: FrameImage): { extension: string; bytes: Uint8Array } {
  if (!isEncoded(image)) return { extension: 'png', bytes: encodePng(image) };
  return { extension: sniffImage(image) === 'jpeg' ? 'jpg' : 'png', bytes: image };
}

/** Writes the frame into `dir`; returns the file's name. */
export async function saveFrame(dir: string, index: number, time: number, image: FrameImage): Promise<string> {
  const { extension, bytes } = frameFile(image);
  const name = savedFrameName(index, time, extension);
  await writeFile(path.join(dir, name), bytes);
  return name;
}

export function savedFrameName(index: number, time: number, extension = 'png'): string {
  return `frame-${String(index).padStart(5, '0')}-${formatTimecode(time).replace(/:/g, '-')}.${extension}`;
}

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isEncoded, type FrameImage, type RgbImage } from '../../core/image-decode.js';
import { resolveBinaries } from '../../media/binaries.js';
import { runProcess } from '../../media/process.js';
import { encodePng } from '../../media/sampling/saved-frames.js';

/** Thumbnail width in pixels: big enough to recognise a scene, small enough for 150 of them in one file. */
export const THUMBNAIL_WIDTH = 96;

export interface ThumbnailOptions {
  /** ffmpeg binary; else FFMPEG_PATH, PATH, the bundled one. */
  readonly ffmpeg?: string | undefined;
  readonly width?: number;
}

/**
 * Shrinks the frames to JPEG thumbnails with one ffmpeg process per kind of input
 * (area filter) and returns data: URIs by frame index. Decoded frames (all the
 * model's size) go to ffmpeg as one raw RGB stream; image files as files. Pure-JS
 * JPEG encoding (jpeg-js) costs ~30 ms a frame in table set-up alone; ffmpeg does
 * all 150 in well under a second. If ffmpeg fails, the frames are embedded as they
 * are (decoded ones as PNG): a bigger file, but the report is still written.
 */
export async function makeThumbnails(frames: ReadonlyMap<number, FrameImage>, options: ThumbnailOptions = {}): Promise<Map<number, string>> {
  const uris = new Map<number, string>();
  if (frames.size === 0) return uris;
  const raw = [...frames].filter(([, image]) => !isEncoded(image));
  const files = [...frames].filter((entry): entry is [number, Uint8Array] => isEncoded(entry[1]));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-thumbnails-'));
  try {
    const ffmpeg = options.ffmpeg ?? resolveBinaries().ffmpeg;
    const width = options.width ?? THUMBNAIL_WIDTH;
    for (const [group, images] of groupBySize(raw)) {
      const shrunk = await shrinkRaw(images.map(([, image]) => image as RgbImage), path.join(dir, group), ffmpeg, width).catch(() => undefined);
      images.forEach(([index, image], i) => uris.set(index, shrunk ? jpegUri(shrunk[i]!) : `data:image/png;base64,${encodePng(image as RgbImage).toString('base64')}`));
    }
    if (files.length > 0) {
      const shrunk = await shrinkFiles(files.map(([, bytes]) => bytes), path.join(dir, 'files'), ffmpeg, width).catch(() => undefined);
      files.forEach(([index, bytes], i) => uris.set(index, shrunk ? jpegUri(shrunk[i]!) : `data:image/jpeg;base64,${Buffer.from(bytes).toString('base64')}`));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return uris;
}

function jpegUri(bytes: Uint8Array): string {
  return `data:image/jpeg;base64,${Buffer.from(bytes).toString('base64')}`;
}

function groupBySize(entries: Array<[number, FrameImage]>): Map<string, Array<[number, FrameImage]>> {
  const groups = new Map<string, Array<[number, FrameImage]>>();
  for (const entry of entries) {
    const image = entry[1] as RgbImage;
    const key = `${image.width}x${image.height}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return groups;
}

const numbered = (prefix: string, i: number | string): string => `${prefix}-${typeof i === 'number' ? String(i).padStart(6, '0') : i}.jpg`;

async function shrinkRaw(images: ReadonlyArray<RgbImage>, prefix: string, ffmpeg: string, width: number): Promise<Uint8Array[]> {
  const { width: w, height: h } = images[0]!;
  const input = `${prefix}.rgb`;
  await writeFile(input, Buffer.concat(images.map((image) => image.data)));
  await runProcess(ffmpeg, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-framerate', '1', '-i', input,
    '-vf', `scale=${width}:-2:flags=area`, '-q:v', '5', '-start_number', '0', numbered(prefix, '%06d'),
  ], { timeoutMs: 120_000 });
  return readOutputs(images.length, prefix);
}

async function shrinkFiles(files: readonly Uint8Array[], prefix: string, ffmpeg: string, width: number): Promise<Uint8Array[]> {
  const inputs = `${prefix}-in`;
  await Promise.all(files.map((bytes, i) => writeFile(numbered(inputs, i), bytes)));
  // Still images differ in size: scale each one on its own (-f image2 reads them as one stream).
  await runProcess(ffmpeg, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'image2', '-framerate', '1', '-start_number', '0', '-i', numbered(inputs, '%06d'),
    '-vf', `scale=${width}:-2:flags=area`, '-q:v', '5', '-start_number', '0', numbered(prefix, '%06d'),
  ], { timeoutMs: 120_000 });
  return readOutputs(files.length, prefix);
}

/** Every output by number: a missing one (a frame ffmpeg skipped) fails the group rather than shifting thumbnails onto the wrong frames. */
async function readOutputs(count: number, prefix: string): Promise<Uint8Array[]> {
  return Promise.all(Array.from({ length: count }, async (_, i) => new Uint8Array(await readFile(numbered(prefix, i)))));
}

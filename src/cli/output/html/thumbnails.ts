import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { runProcess } from '../../ffmpeg/process.js';

/** Thumbnail width in pixels: big enough to recognise a scene, small enough for 150 of them in one file. */
export const THUMBNAIL_WIDTH = 96;

export interface ThumbnailOptions {
  /** ffmpeg binary; else FFMPEG_PATH, PATH, the bundled one. */
  readonly ffmpeg?: string | undefined;
  readonly width?: number;
}

/**
 * Shrinks the frame JPEGs to thumbnails with one ffmpeg process (area
 * filter) and returns data: URIs by frame index. Pure-JS JPEG encoding
 * (jpeg-js) costs ~30 ms a frame in table set-up alone; ffmpeg does all 150 in
 * well under a second. If ffmpeg fails, the frames are embedded as they are:
 * a bigger file, but the report is still written.
 */
export async function makeThumbnails(frames: ReadonlyMap<number, Uint8Array>, options: ThumbnailOptions = {}): Promise<Map<number, string>> {
  if (frames.size === 0) return new Map();
  const indexes = [...frames.keys()];
  let shrunk: Uint8Array[] | undefined;
  try {
    shrunk = await shrink(indexes.map((index) => frames.get(index)!), options);
  } catch {
    shrunk = undefined;
  }
  const bytes = shrunk ?? indexes.map((index) => frames.get(index)!);
  return new Map(indexes.map((index, i) => [index, `data:image/jpeg;base64,${Buffer.from(bytes[i]!).toString('base64')}`]));
}

async function shrink(jpegs: readonly Uint8Array[], options: ThumbnailOptions): Promise<Uint8Array[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-thumbnails-'));
  const name = (prefix: string, i: number | string): string => path.join(dir, `${prefix}-${typeof i === 'number' ? String(i).padStart(6, '0') : i}.jpg`);
  try {
    await Promise.all(jpegs.map((jpeg, i) => writeFile(name('in', i), jpeg)));
    const ffmpeg = options.ffmpeg ?? resolveBinaries().ffmpeg;
    await runProcess(ffmpeg, [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'image2', '-framerate', '1', '-start_number', '0', '-i', name('in', '%06d'),
      '-vf', `scale=${options.width ?? THUMBNAIL_WIDTH}:-2:flags=area`, '-q:v', '5', '-start_number', '0', name('out', '%06d'),
    ], { timeoutMs: 120_000 });
    // Read every output by number: a missing one (a frame ffmpeg skipped) fails the whole batch rather than shifting thumbnails onto the wrong frames.
    return await Promise.all(jpegs.map(async (_, i) => new Uint8Array(await readFile(name('out', i)))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The facts ffprobe would give for a local PNG or JPEG still, read from its header.
 * One ffprobe costs 100–250 ms of process start on these machines, while scoring a
 * still on ONNX Runtime costs a few: over a folder of photos, probing was most of
 * the run (bench/stills). Anything else (other formats, animated PNG, URLs) is
 * still probed by ffprobe.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { readImageHeader } from '../../core/image-header.js';
import type { MediaInfo } from '../../media/probe.js';
import type { OpenedInput } from '../opened-input.js';

/** Enough of a file for a JPEG's SOF behind large EXIF segments, and for a PNG's acTL. */
const HEADER_BYTES = 256 * 1024;

/** ffprobe's frame rate for a single image (its image demuxers' default). */
const STILL_FRAME_RATE = 25;

/** What ffprobe names the container: the image2 demuxer wins on these extensions, the pipe demuxer elsewhere (ffmpeg 4.1 and 5.1 agree). */
function containerName(format: 'png' | 'jpeg', file: string): string {
  if (format === 'png') return 'png_pipe';
  return /^\.(jpe?g)$/i.test(path.extname(file)) ? 'image2' : 'jpeg_pipe';
}

/** The still's facts, or undefined when ffprobe must look (not a local file, not a plain PNG/JPEG, no size in its header). */
export async function localStillFacts(opened: OpenedInput): Promise<MediaInfo | undefined> {
  if (opened.input !== opened.source || /^[a-z][a-z0-9+.-]*:\/\//i.test(opened.input)) return undefined;
  const prefix = await readPrefix(opened.input);
  const header = readImageHeader(prefix);
  if (header === undefined || 'problem' in header || (header.format !== 'png' && header.format !== 'jpeg')) return undefined;
  // An animated PNG is a video to ffmpeg (the apng demuxer): its acTL chunk comes before the first IDAT.
  if (header.format === 'png' && isAnimatedPng(prefix)) return undefined;
  return {
    source: opened.source,
    container: containerName(header.format, opened.input),
    codec: header.format === 'png' ? 'png' : 'mjpeg',
    duration: 0,
    frameRate: STILL_FRAME_RATE,
    width: header.width,
    height: header.height,
    rotation: 0,
    startTime: 0,
    lastFrameTime: undefined,
    stillImage: true,
    sizeBytes: opened.sizeBytes,
  };
}

async function readPrefix(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Walks the PNG's chunks up to the first IDAT looking for acTL; unsure (truncated walk) counts as animated, so ffprobe decides. */
function isAnimatedPng(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (type === 'acTL') return true;
    if (type === 'IDAT') return false;
    offset += 12 + length;
  }
  return true;
}

/**
 * How decoded frames leave ffmpeg. `lossless` (the default): raw RGB at the model's
 * size, exactly the pixels the decoder and scaler produced, split by size. `jpeg`:
 * MJPEG at q 2, 4:2:0 (what framescore sent before), for slow uplinks to the function;
 * it moves scores (see the README's "Frame format").
 */
import type { FrameImage } from '../../core/image-decode.js';
import { JpegSplitter } from './jpeg-splitter.js';

export type FrameFormat = 'lossless' | 'jpeg';
export const FRAME_FORMATS: readonly FrameFormat[] = ['lossless', 'jpeg'];

export function frameOutputArgs(format: FrameFormat): string[] {
  return format === 'jpeg'
    ? ['-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p']
    : ['-f', 'rawvideo', '-pix_fmt', 'rgb24'];
}

/** Cuts ffmpeg's stdout into frames. Throws when the bytes are not what was asked for. */
export interface FrameSplitter {
  push(chunk: Buffer): FrameImage[];
  /** Bytes that do not (yet) make a whole frame. */
  readonly buffered: number;
}

export function frameSplitter(format: FrameFormat, width: number, height: number): FrameSplitter {
  return format === 'jpeg' ? new JpegSplitter() : new RawFrameSplitter(width, height);
}

/** Raw RGB frames back to back, each width × height × 3 bytes. */
export class RawFrameSplitter implements FrameSplitter {
  private readonly frameBytes: number;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly width: number, private readonly height: number) {
    this.frameBytes = width * height * 3;
  }

  push(chunk: Buffer): FrameImage[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: FrameImage[] = [];
    while (this.pending.length >= this.frameBytes) {
      // A copy: the frame outlives the chunk, which may be a slice of a larger read buffer.
      frames.push({ width: this.width, height: this.height, data: new Uint8Array(this.pending.subarray(0, this.frameBytes)) });
      this.pending = this.pending.subarray(this.frameBytes);
    }
    return frames;
  }

  get buffered(): number {
    return this.pending.length;
  }
}

/**
 * Splits ffmpeg's image2pipe MJPEG output (JPEGs back to back) into single images by
 * walking the JPEG markers; inside entropy-coded data 0xFF is always stuffed, so the
 * first real marker after it ends the scan.
 */
export class JpegSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every image they complete. Throws if the stream is not JPEGs. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const images: Buffer[] = [];
    for (;;) {
      const end = jpegEnd(this.pending);
      if (end === undefined) break;
      images.push(this.pending.subarray(0, end));
      this.pending = this.pending.subarray(end);
    }
    return images;
  }

  /** Bytes that do not (yet) make a whole image. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** The length of the complete JPEG at the start of `bytes`, or undefined when it is not all there yet. */
export function jpegEnd(bytes: Buffer): number | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('not a JPEG stream (no start-of-image marker)');
  let offset = 2;
  for (;;) {
    while (offset < bytes.length && bytes[offset] === 0xff && bytes[offset + 1] === 0xff) offset += 1;
    if (offset + 2 > bytes.length) return undefined;
    if (bytes[offset] !== 0xff) throw new Error(`malformed JPEG: no marker at byte ${offset}`);
    const marker = bytes[offset + 1]!;
    if (marker === 0xd9) return offset + 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    if (offset + 4 > bytes.length) return undefined;
    offset += 2 + bytes.readUInt16BE(offset + 2);
    if (marker !== 0xda) continue;
    // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
    for (;;) {
      const next = bytes.indexOf(0xff, offset);
      if (next < 0 || next + 1 >= bytes.length) return undefined;
      const byte = bytes[next + 1]!;
      if (byte === 0x00 || (byte >= 0xd0 && byte <= 0xd7) || byte === 0xff) {
        offset = next + (byte === 0xff ? 1 : 2);
        continue;
      }
      offset = next;
      break;
    }
  }
}

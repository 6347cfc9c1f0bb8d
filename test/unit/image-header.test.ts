import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeImage } from '../../src/core/image-decode.js';
import { ImageDecodeError } from '../../src/core/errors.js';
import { imageHeaderProblem, imageSizeProblem, readImageHeader, MAX_IMAGE_SIDE } from '../../src/core/image-header.js';
import { gifBomb, jpegBomb, pngBomb, tiffBomb } from '../helpers/image-bombs.js';

function bmp(width: number, height: number): Buffer {
  const bytes = Buffer.alloc(54);
  bytes.write('BM', 0, 'latin1');
  bytes.writeUInt32LE(40, 14);
  bytes.writeInt32LE(width, 18);
  bytes.writeInt32LE(height, 22);
  return bytes;
}

function webp(chunk: 'VP8 ' | 'VP8L' | 'VP8X', width: number, height: number): Buffer {
  const bytes = Buffer.alloc(40);
  bytes.write('RIFF', 0, 'latin1');
  bytes.write('WEBP', 8, 'latin1');
  bytes.write(chunk, 12, 'latin1');
  if (chunk === 'VP8X') {
    bytes.writeUIntLE(width - 1, 24, 3);
    bytes.writeUIntLE(height - 1, 27, 3);
  } else if (chunk === 'VP8L') {
    bytes[20] = 0x2f;
    bytes.writeUInt32LE(((width - 1) | ((height - 1) << 14)) >>> 0, 21);
  } else {
    bytes.set([0x9d, 0x01, 0x2a], 23);
    bytes.writeUInt16LE(width, 26);
    bytes.writeUInt16LE(height, 28);
  }
  return bytes;
}

describe('image headers: the declared size, read without decoding', () => {
  it('reads PNG IHDR, JPEG SOFn after other segments, GIF, BMP (top-down too), the three WebP kinds and TIFF (both byte orders)', () => {
    assert.deepEqual(readImageHeader(pngBomb(30000, 20000)), { format: 'png', width: 30000, height: 20000 });
    for (const sof of [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc7, 0xc9, 0xcb, 0xcd, 0xcf]) {
      assert.deepEqual(readImageHeader(jpegBomb(640, 480, sof)), { format: 'jpeg', width: 640, height: 480 }, sof.toString(16));
    }
    assert.deepEqual(readImageHeader(gifBomb(65535, 2)), { format: 'gif', width: 65535, height: 2 });
    assert.deepEqual(readImageHeader(bmp(300, -200)), { format: 'bmp', width: 300, height: 200 });
    assert.deepEqual(readImageHeader(webp('VP8 ', 16383, 10)), { format: 'webp', width: 16383, height: 10 });
    assert.deepEqual(readImageHeader(webp('VP8L', 16384, 3)), { format: 'webp', width: 16384, height: 3 });
    assert.deepEqual(readImageHeader(webp('VP8X', 20000, 20000)), { format: 'webp', width: 20000, height: 20000 });
    assert.deepEqual(readImageHeader(tiffBomb(30000, 20000)), { format: 'tiff', width: 30000, height: 20000 });
    assert.deepEqual(readImageHeader(tiffBomb(70000, 3, false)), { format: 'tiff', width: 70000, height: 3 });
    assert.equal(readImageHeader(Buffer.from('not an image at all')), undefined);
  });

  it('does not take DHT, JPG or DAC markers for a frame header, and says when the SOF is missing or cut off', () => {
    // A DHT (C4) segment whose bytes would read as 30000×30000 comes before the real SOF0.
    const dht = [0xff, 0xc4, 0, 7, 8, 0x75, 0x30, 0x75, 0x30];
    const file = Buffer.concat([Buffer.from([0xff, 0xd8, ...dht]), jpegBomb(64, 32).subarray(2)]);
    assert.deepEqual(readImageHeader(file), { format: 'jpeg', width: 64, height: 32 });
    const noFrame = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xda, 0, 2]);
    assert.match(imageHeaderProblem(noFrame) ?? '', /^JPEG has no frame header \(SOF\)/);
    const cut = jpegBomb(64, 32).subarray(0, 12);
    assert.deepEqual(readImageHeader(cut), { format: 'jpeg', problem: 'header is truncated', truncated: true });
  });

  it('refuses over 40 megapixels or over 16384 a side, saying the declared size and the limit', () => {
    assert.equal(imageSizeProblem(7296, 5472), undefined); // 39.9 MP
    assert.equal(imageSizeProblem(MAX_IMAGE_SIDE, 100), undefined);
    assert.match(imageSizeProblem(MAX_IMAGE_SIDE + 1, 100) ?? '', /16385×100 pixels/);
    assert.equal(imageSizeProblem(30000, 30000), 'it declares 30000×30000 pixels (900.0 megapixels); the limit is 40 megapixels and 16384 pixels a side');
    assert.match(imageSizeProblem(0, 10) ?? '', /0×10/);
  });

  it('the decoder refuses a bomb from its header, for PNG and JPEG', () => {
    for (const bomb of [pngBomb(30000, 30000), jpegBomb(30000, 30000), jpegBomb(0xffff, 0xffff, 0xc2)]) {
      assert.throws(() => decodeImage(bomb), (error: unknown) => error instanceof ImageDecodeError && /refused before decoding: it declares \d+×\d+ pixels/.test(error.message));
    }
  });
});

import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { ImageDecodeError } from '../../src/core/errors.js';
import { fromWirePixels, toWireImage, wireImageBytes } from '../../src/core/wire-image.js';

const image = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 13) };

describe('frames on the wire', () => {
  it('carries decoded pixels losslessly (deflated RGB with their size) and image files as themselves', async () => {
    const wire = await toWireImage(image);
    assert.ok('pixels' in wire);
    if (!('pixels' in wire)) return;
    assert.deepEqual([wire.pixels.width, wire.pixels.height], [3, 2]);
    const back = fromWirePixels(wire.pixels, Buffer.from(wire.pixels.data, 'base64'));
    assert.deepEqual([...back.data], [...image.data]);
    assert.equal(wireImageBytes(wire), Buffer.from(wire.pixels.data, 'base64').length);
    const file = await toWireImage(new Uint8Array([0xff, 0xd8, 0xff, 1]));
    assert.deepEqual(file, { image: Buffer.from([0xff, 0xd8, 0xff, 1]).toString('base64') });
  });

  it('refuses pixels whose size, length or compression is wrong, naming the problem', () => {
    const packed = deflateSync(image.data);
    const cases: Array<[{ width: number; height: number }, Uint8Array, RegExp]> = [
      [{ width: 0, height: 2 }, packed, /positive integers/],
      [{ width: 2.5, height: 2 }, packed, /positive integers/],
      [{ width: 3, height: 3 }, packed, /hold 18 bytes, not 3×3×3 = 27/],
      [{ width: 2, height: 2 }, packed, /not valid deflated RGB|hold/],
      [{ width: 3, height: 2 }, new Uint8Array([1, 2, 3, 4]), /not valid deflated RGB/],
      [{ width: 100_000, height: 100_000 }, packed, /megapixels/],
    ];
    for (const [size, bytes, message] of cases) {
      assert.throws(() => fromWirePixels({ ...size, data: '' }, bytes), (error: unknown) => error instanceof ImageDecodeError && message.test(error.message), `${JSON.stringify(size)}`);
    }
  });
});

/**
 * The span jobs' object source: the bytes asked for, each block fetched once, small
 * sequential reads reading ahead, a prefetch in large GETs, and a failed GET not kept.
 * The S3 reader is replaced by one that serves a buffer and records its GETs (what the
 * source asks of S3 is the behaviour under test; ObjectReader's own GETs are tested
 * against s3rver in fanout/sample-on-lambda).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ObjectReadError, type ByteRange, type ObjectReader } from '../../src/lambda/sampling/object-reader.js';
import { ObjectSource } from '../../src/lambda/sampling/object-source.js';

const KB = 1024;

function recordingReader(bytes: Buffer, failFirst = 0): { reader: ObjectReader; gets: ByteRange[] } {
  const gets: ByteRange[] = [];
  let failures = failFirst;
  const readRange = (range: ByteRange): Promise<Buffer> => {
    gets.push(range);
    if (failures > 0) {
      failures -= 1;
      return Promise.reject(new ObjectReadError('READ_FAILED', 'the network went away'));
    }
    return Promise.resolve(bytes.subarray(range.from, range.to));
  };
  return { reader: { readRange } as unknown as ObjectReader, gets };
}

describe('the span object source', () => {
  const bytes = randomBytes(4 * 1024 * KB + 123);

  it('answers exactly the bytes asked for, across blocks and at the end, fetching each block once', async () => {
    const { reader, gets } = recordingReader(bytes);
    const source = new ObjectSource(reader, bytes.length);
    assert.deepEqual(await source.read(30 * KB, 100 * KB), bytes.subarray(30 * KB, 130 * KB));
    assert.equal(gets.length, 1, 'the missing blocks of one read in one GET');
    assert.deepEqual(await source.read(40 * KB, 10), bytes.subarray(40 * KB, 40 * KB + 10));
    assert.equal(gets.length, 1, 'held blocks are not fetched again');
    assert.deepEqual(await source.read(bytes.length - 50, 500), bytes.subarray(bytes.length - 50), 'fewer bytes only at the end');
    assert.equal((await source.read(bytes.length, 10)).length, 0);
    assert.ok(gets.every((get) => get.to <= bytes.length), 'no GET past the end');
  });

  it('reads a few blocks ahead after a small read that continues held blocks (a header walk), not after a large one', async () => {
    const { reader, gets } = recordingReader(bytes);
    const source = new ObjectSource(reader, bytes.length);
    await source.read(0, 4 * KB);
    await source.read(33 * KB, 4 * KB);
    const ahead = gets[1]!;
    assert.ok(ahead.to - ahead.from > 32 * KB, `the second small read fetched ahead: ${JSON.stringify(ahead)}`);
    const before = gets.length;
    for (let at = 40 * KB; at < ahead.to - 4 * KB; at += 30 * KB) await source.read(at, 4 * KB);
    assert.equal(gets.length, before, 'the walk goes on in what was read ahead');
    const scan = recordingReader(bytes);
    const scanning = new ObjectSource(scan.reader, bytes.length);
    await scanning.read(0, 384 * KB);
    await scanning.read(384 * KB, 384 * KB);
    assert.deepEqual(scan.gets.map((get) => get.to), [384 * KB, 768 * KB], 'large reads fetch what they ask for');
  });

  it('prefetches a range in 1 MB GETs that later reads take from, and does not keep a failed GET', async () => {
    const { reader, gets } = recordingReader(bytes);
    const source = new ObjectSource(reader, bytes.length);
    await source.prefetch(100 * KB, 3 * 1024 * KB);
    assert.ok(gets.length >= 3 && gets.every((get) => get.to - get.from <= 1024 * KB), JSON.stringify(gets));
    const fetched = gets.length;
    assert.deepEqual(await source.read(200 * KB, 2 * 1024 * KB), bytes.subarray(200 * KB, 2248 * KB));
    assert.equal(gets.length, fetched);

    const flaky = recordingReader(bytes, 1);
    const retrying = new ObjectSource(flaky.reader, bytes.length);
    await assert.rejects(retrying.read(0, 10), (error: unknown) => error instanceof ObjectReadError && error.code === 'READ_FAILED');
    assert.deepEqual(await retrying.read(0, 10), bytes.subarray(0, 10), 'the next read asks again');
  });
});

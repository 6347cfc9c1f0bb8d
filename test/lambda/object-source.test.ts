/**
 * The span jobs' object source: the bytes asked for, each block fetched once, small
 * sequential reads reading ahead, and a failed GET not kept.
 * The S3 reader is replaced by one that serves a buffer and records its GETs (what the
 * source asks of S3 is the behaviour under test; ObjectReader's own GETs are tested
 * against s3rver in fanout/sample-on-lambda). Its bounds: a read budget and the deadline,
 * and a span whose index would read past the budget planned as per-frame seeks.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ObjectReadError, type ByteRange, type ObjectReader } from '../../src/lambda/sampling/object-reader.js';
import { DeadlineReached, ObjectSource, ReadBudgetError } from '../../src/lambda/sampling/object-source.js';
import { planSpan } from '../../src/lambda/sampling/span-jobs.js';
import { fixture } from '../helpers/videos.js';

const KB = 1024;

function recordingReader(bytes: Buffer, failFirst = 0): { reader: Pick<ObjectReader, 'readRange'>; gets: ByteRange[] } {
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
  return { reader: { readRange }, gets };
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

  it('reads a range ahead in one GET that the small reads after it take from, and not past its budget', async () => {
    const { reader, gets } = recordingReader(bytes);
    const source = new ObjectSource(reader, bytes.length);
    source.readAhead(100 * KB, 900 * KB);
    assert.deepEqual(gets, [{ from: 96 * KB, to: 928 * KB }], 'the blocks the range touches, in one GET');
    for (let at = 100 * KB; at < 900 * KB; at += 30 * KB) assert.deepEqual(await source.read(at, 4 * KB), bytes.subarray(at, at + 4 * KB));
    assert.equal(gets.length, 1, 'the walk\'s small reads found every block held');

    const bounded = recordingReader(bytes);
    const budgeted = new ObjectSource(bounded.reader, bytes.length, { maxBytes: 256 * KB });
    budgeted.readAhead(0, 512 * KB);
    assert.equal(bounded.gets.length, 0, 'a read-ahead past the budget is not made');
    // 100,000 bytes fit the budget, the four whole blocks they touch (131,072) do not: not made, and reads within the budget still work.
    const tight = recordingReader(bytes);
    const edge = new ObjectSource(tight.reader, bytes.length, { maxBytes: 100_000 });
    edge.readAhead(10, 100_000);
    assert.equal(tight.gets.length, 0);
    assert.deepEqual(await edge.read(0, 1000), bytes.subarray(0, 1000));
  });

  it('does not keep a failed GET: the next read asks again', async () => {
    const flaky = recordingReader(bytes, 1);
    const retrying = new ObjectSource(flaky.reader, bytes.length);
    await assert.rejects(retrying.read(0, 10), (error: unknown) => error instanceof ObjectReadError && error.code === 'READ_FAILED');
    assert.deepEqual(await retrying.read(0, 10), bytes.subarray(0, 10), 'the next read asks again');
  });
});

describe('the span object source\'s bounds', () => {
  const bytes = randomBytes(2 * 1024 * KB);

  it('fetches no more than its budget: past it, reads fail with ReadBudgetError and no GET is made', async () => {
    const { reader, gets } = recordingReader(bytes);
    const source = new ObjectSource(reader, bytes.length, { maxBytes: 256 * KB });
    assert.deepEqual(await source.read(0, 200 * KB), bytes.subarray(0, 200 * KB));
    await assert.rejects(source.read(1024 * KB, 100 * KB), ReadBudgetError);
    assert.equal(gets.length, 1, 'the read past the budget asked S3 for nothing');
    assert.deepEqual(await source.read(10 * KB, 10 * KB), bytes.subarray(10 * KB, 20 * KB), 'what was held is still answered');
  });

  it('fails every read after the decode deadline with DeadlineReached', async () => {
    const { reader, gets } = recordingReader(bytes);
    const deadline = new AbortController();
    const source = new ObjectSource(reader, bytes.length, { maxBytes: bytes.length, signal: deadline.signal });
    await source.read(0, KB);
    deadline.abort();
    await assert.rejects(source.read(512 * KB, KB), DeadlineReached);
    assert.equal(gets.length, 1);
  });

  it('a span of a WebM with no Cues, whose index would be a walk over every block, goes to the per-frame seek when that exceeds the budget', async () => {
    const file = await readFile(await fixture('live.webm'));
    const request = { video: { startTime: 0, rotation: 0, keyframes: false } } as const;
    const span = { targets: [{ id: 'a', requestedTime: 1.2 }, { id: 'b', requestedTime: 4.5 }] };
    const whole = await planSpan(span, new ObjectSource(recordingReader(file).reader, file.length), request);
    assert.equal(whole.seeks.length, 0, 'with room for the walk: GOP walks');
    assert.deepEqual(whole.gops.flatMap((gop) => gop.targets.map((target) => target.id)).sort(), ['a', 'b']);
    const bounded = await planSpan(span, new ObjectSource(recordingReader(file).reader, file.length, { maxBytes: Math.floor(file.length / 4) }), request);
    assert.deepEqual([bounded.gops.length, bounded.seeks.map((seek) => seek.id), bounded.failed.length], [0, ['a', 'b'], 0]);
  });
});

/**
 * Unit tests (no S3 server, no subprocess): URI parsing, the model cache path,
 * the block cache, and the loopback range relay with an in-memory object.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlockCache } from '../../src/media/source/block-cache.js';
import { createS3Client } from '../../src/run/s3/client.js';
import { describeS3Error } from '../../src/run/s3/errors.js';
import { modelCacheRoot } from '../../src/run/s3/model-cache.js';
import { startRangeRelay } from '../../src/media/source/range-relay.js';
import { parseS3Object, parseS3Prefix, s3Uri } from '../../src/run/s3/uri.js';

test('s3:// URIs: objects need a key, prefixes get a trailing slash, bad bucket names are named', () => {
  assert.deepEqual(parseS3Object('s3://media-bucket/episodes/b0123456.mp4', 'v'), { bucket: 'media-bucket', key: 'episodes/b0123456.mp4' });
  assert.deepEqual(parseS3Object('S3://media/a b.mp4', 'v'), { bucket: 'media', key: 'a b.mp4' });
  assert.deepEqual(parseS3Prefix('s3://models/frame-model/v3', 'm'), { bucket: 'models', key: 'frame-model/v3/' });
  assert.deepEqual(parseS3Prefix('s3://models', 'm'), { bucket: 'models', key: '' });
  assert.equal(s3Uri({ bucket: 'models', key: 'v3/' }, 'model.json'), 's3://models/v3/model.json');
  assert.throws(() => parseS3Object('s3://media/dir/', 'video "x"'), /^InputError: video "x": malformed S3 URI: no object key/);
  assert.throws(() => parseS3Object('s3:/media/a.mp4', 'v'), /malformed S3 URI \(expected/);
  assert.throws(() => parseS3Object('s3://ab/a.mp4', 'v'), /"ab" is not a valid bucket name/);
  assert.throws(() => parseS3Object('s3://a..b/a.mp4', 'v'), /"a\.\.b" is not a valid bucket name/);
});

test('the S3 client: --region, else AWS_REGION, else the profile\'s region, else us-east-1; path-style for a custom endpoint', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-aws-config-'));
  const saved = process.env.AWS_CONFIG_FILE;
  try {
    // The SDK reads profiles from AWS_CONFIG_FILE in this (test) process.
    process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
    await writeFile(process.env.AWS_CONFIG_FILE, '[profile media]\nregion = eu-central-1\n');
    const region = async (settings: Parameters<typeof createS3Client>[0]): Promise<string> => {
      const client = createS3Client(settings);
      try {
        return await client.config.region();
      } finally {
        client.destroy();
      }
    };
    assert.equal(await region({ region: 'ap-south-1', env: { AWS_REGION: 'us-west-2' } }), 'ap-south-1');
    assert.equal(await region({ env: { AWS_REGION: 'us-west-2' } }), 'us-west-2');
    assert.equal(await region({ profile: 'media', env: {} }), 'eu-central-1');
    assert.equal(await region({ env: {} }), 'us-east-1');
    const custom = createS3Client({ env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' } });
    assert.equal(custom.config.forcePathStyle, true);
    custom.destroy();
    assert.throws(() => createS3Client({ s3Endpoint: 'not a url', env: {} }), /^InputError: S3 endpoint "not a url" is not a URL/);
  } finally {
    if (saved === undefined) delete process.env.AWS_CONFIG_FILE;
    else process.env.AWS_CONFIG_FILE = saved;
    await rm(dir, { recursive: true, force: true });
  }
});

test('the model cache lives under $XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(modelCacheRoot({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), '/x/cache/framescore/models');
  assert.equal(modelCacheRoot({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }), '/home/u/.cache/framescore/models');
  assert.equal(modelCacheRoot({ HOME: '/home/u' }), '/home/u/.cache/framescore/models');
});

test('S3 errors become words: no credentials, unreachable, wrong region from the header', () => {
  const credentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
  assert.match(describeS3Error(credentials), /^no AWS credentials .*--profile/);
  assert.equal(describeS3Error(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), { endpoint: 'http://127.0.0.1:9/' }), 'cannot reach S3 at http://127.0.0.1:9/ (ECONNREFUSED)');
  const redirect = Object.assign(new Error('UnknownError'), { name: 'Unknown', $metadata: { httpStatusCode: 301 }, $response: { headers: { 'x-amz-bucket-region': 'ap-south-1' } } });
  assert.equal(describeS3Error(redirect), 'wrong region: the bucket is in ap-south-1: pass --region ap-south-1');
});

function object(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
}

test('the block cache fetches each block once, shares in-flight fetches, evicts the least recently used, forgets failures', async () => {
  const bytes = object(10_000);
  const fetches: string[] = [];
  let fail = false;
  const cache = new BlockCache(async (start, end) => {
    fetches.push(`${start}-${end}`);
    if (fail) throw new Error('boom');
    return bytes.slice(start, end + 1);
  }, { size: bytes.length, blockBytes: 1000, maxBlocks: 2 });
  const [a, b] = await Promise.all([cache.slice(1500, 1600), cache.slice(1000, 9999)]);
  assert.deepEqual([...a], [...bytes.subarray(1500, 1601)]);
  assert.deepEqual([...b], [...bytes.subarray(1000, 2000)], 'a slice stops at its block end');
  assert.deepEqual(fetches, ['1000-1999']);
  await cache.slice(9500, 9999);
  assert.deepEqual([...(await cache.slice(9990, 20_000))], [...bytes.subarray(9990)], 'the last block is short');
  await cache.slice(0, 10);
  await cache.slice(1000, 1001);
  assert.deepEqual(fetches, ['1000-1999', '9000-9999', '0-999', '1000-1999'], 'block 1 was evicted by blocks 9 and 0');
  assert.equal(cache.fetchedBytes, 4000);
  fail = true;
  await assert.rejects(cache.slice(5000, 5001), /boom/);
  fail = false;
  assert.equal((await cache.slice(5000, 5001)).length, 2);
});

test('the relay answers ranges a block at a time, 416 past the end, 404 for a wrong token, 502 when the fetch fails', async () => {
  const bytes = object(5000);
  let broken = false;
  const cache = new BlockCache(async (start, end) => {
    if (broken) throw new Error('S3 said no');
    return bytes.slice(start, end + 1);
  }, { size: bytes.length, blockBytes: 1024, maxBlocks: 8 });
  const relay = await startRangeRelay(cache, 'clip.mp4');
  try {
    assert.match(relay.url, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/clip\.mp4$/);
    const open = await fetch(relay.url, { headers: { Range: 'bytes=1500-' } });
    assert.equal(open.status, 206);
    assert.equal(open.headers.get('content-range'), 'bytes 1500-2047/5000');
    assert.deepEqual([...new Uint8Array(await open.arrayBuffer())], [...bytes.subarray(1500, 2048)]);
    const bounded = await fetch(relay.url, { headers: { Range: 'bytes=10-19' } });
    assert.equal(bounded.headers.get('content-range'), 'bytes 10-19/5000');
    assert.deepEqual([...new Uint8Array(await bounded.arrayBuffer())], [...bytes.subarray(10, 20)]);
    const suffix = await fetch(relay.url, { headers: { Range: 'bytes=-100' } });
    assert.equal(suffix.headers.get('content-range'), 'bytes 4900-4999/5000');
    const head = await fetch(relay.url, { method: 'HEAD' });
    assert.deepEqual([head.status, head.headers.get('content-length'), head.headers.get('accept-ranges')], [206, '1024', 'bytes']);
    assert.equal((await fetch(relay.url, { headers: { Range: 'bytes=5000-' } })).status, 416);
    assert.equal((await fetch(relay.url.replace(/\/[0-9a-f]{32}\//, '/0123456789abcdef0123456789abcdef/'))).status, 404);
    broken = true;
    cache.clear();
    const failed = await fetch(relay.url, { headers: { Range: 'bytes=0-' } });
    assert.equal(failed.status, 502);
    assert.match(await failed.text(), /S3 said no/);
  } finally {
    await relay.close();
  }
});

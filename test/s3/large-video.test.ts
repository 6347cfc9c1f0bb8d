/**
 * Range reads: sampling a ≥ 200 MB video in s3rver fetches a small fraction
 * of it, counted server-side by a TCP proxy in front of s3rver. To keep this
 * test's runtime reasonable on a loaded 2-core machine it samples 40 keyframes, not 150
 * exact frames (every frame still opens the object anew and seeks); the
 * benchmark (bench/s3.bench.ts) runs the full 150 exact frames.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingProxy, type CountingProxy } from '../helpers/s3-counting-proxy.js';
import { largeVideo, putObject, readBytes, type LargeVideo } from '../helpers/s3-fixtures.js';
import { countSettings, sampleVideo } from '../helpers/s3-sampling.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const FRAMES = 40;
/** Measured ~6% here (60 keyframes: 8.5%); the bound leaves room for block alignment on other encodes. */
const MAX_FRACTION = 0.2;

let s3: S3rverHandle;
let proxy: CountingProxy;
let video: LargeVideo;

before(async () => {
  [s3, video] = await Promise.all([startS3rver({ buckets: ['media'] }), largeVideo()]);
  await putObject(s3.endpoint, 'media', 'episodes/large.mp4', await readBytes(video.file));
  proxy = await startCountingProxy(s3.port);
});

after(async () => {
  await proxy?.stop();
  await s3?.stop();
});

test(`a ${FRAMES}-keyframe sample of a ≥ 200 MB video reads a small fraction of it from S3`, async () => {
  assert.ok(video.sizeBytes >= 200 * 1024 * 1024 * 0.95, `fixture is ${video.sizeBytes} bytes`);
  proxy.reset();
  const started = performance.now();
  const sampled = await sampleVideo('s3://media/episodes/large.mp4', { s3Endpoint: proxy.endpoint, env: s3.env }, countSettings(FRAMES, true));
  const seconds = (performance.now() - started) / 1000;
  const failures = sampled.frames.filter((frame) => frame.failure !== undefined);
  assert.deepEqual(failures, [], 'every frame decoded');
  assert.equal(sampled.frames.length, FRAMES);
  const fraction = proxy.servedBytes() / video.sizeBytes;
  console.log(`# S3 range reads: ${FRAMES} keyframes from a ${(video.sizeBytes / 1e6).toFixed(0)} MB, ${video.durationSeconds / 60}-minute video: ` +
    `s3rver served ${(proxy.servedBytes() / 1e6).toFixed(1)} MB = ${(fraction * 100).toFixed(1)}% of the file, in ${seconds.toFixed(1)} s`);
  assert.ok(fraction < MAX_FRACTION, `read ${(fraction * 100).toFixed(1)}% of the file`);
});

/**
 * Sampling 150 frames from the same long video on local disk vs from s3rver on
 * 127.0.0.1 (through framescore's block-cache relay): wall-time ratio, and the
 * bytes s3rver served as a fraction of the file (counted by a TCP proxy). Also
 * a few frames read the naive way, ffmpeg opening the presigned URL itself,
 * to show what the relay saves. The video (30 min of 1080p at 6 Mbit/s, ~1.35 GB,
 * as in the issue) is made once (about a minute here) and cached under the OS temp dir.
 *   node dist/bench/s3.bench.js [frames]
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import os from 'node:os';
import { planFrames } from '../src/core/sampling-plan.js';
import { resolveBinaries } from '../src/media/binaries.js';
import { probeMedia } from '../src/media/probe.js';
import { createS3Client } from '../src/run/s3/client.js';
import { sampleFrames } from '../src/media/sampling/sampler.js';
import { startCountingProxy } from '../test/helpers/s3-counting-proxy.js';
import { largeVideo, putObject, readBytes } from '../test/helpers/s3-fixtures.js';
import { countSettings, sampleVideo } from '../test/helpers/s3-sampling.js';
import { startS3rver } from '../test/helpers/s3rver.js';

const frames = Number(process.argv[2] ?? 150);
const NAIVE_FRAMES = 20;

const generating = performance.now();
const video = await largeVideo({ width: 1920, height: 1080, kbps: 6000, minutes: 30 });
console.log(`video: ${video.description} (${((performance.now() - generating) / 1000).toFixed(1)} s to make or find in the cache)`);

const s3 = await startS3rver({ buckets: ['media'] });
const proxy = await startCountingProxy(s3.port);
try {
  await putObject(s3.endpoint, 'media', 'long.mp4', await readBytes(video.file));
  const context = { s3Endpoint: proxy.endpoint, env: s3.env };
  for (const keyframes of [false, true]) {
    const settings = countSettings(frames, keyframes);
    const local = await timed(() => sampleVideo(video.file, {}, settings));
    proxy.reset();
    const remote = await timed(() => sampleVideo('s3://media/long.mp4', context, settings));
    const served = proxy.servedBytes();
    const failed = [local, remote].map((run) => run.value.frames.filter((frame) => frame.failure !== undefined).length);
    console.log(`${frames} frames${keyframes ? ' --keyframes' : ' (exact)'}: local ${local.seconds.toFixed(1)} s, S3 ${remote.seconds.toFixed(1)} s ` +
      `(ratio ${(remote.seconds / local.seconds).toFixed(2)}x); S3 served ${(served / 1e6).toFixed(1)} MB = ${((served / video.sizeBytes) * 100).toFixed(1)}% of the file ` +
      `(${(served / frames / 1024).toFixed(0)} KB per frame); failed frames local/S3: ${failed.join('/')}`);
  }

  // The naive way, for comparison: ffmpeg reads the presigned URL itself with open-ended ranges, one process per frame.
  const client = createS3Client(context);
  const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'media', Key: 'long.mp4' }), { expiresIn: 3600 });
  client.destroy();
  const { ffmpeg, ffprobe } = resolveBinaries();
  proxy.reset();
  const media = await probeMedia(ffprobe, url, 's3://media/long.mp4');
  const plan = planFrames(countSettings(NAIVE_FRAMES, false), { duration: media.duration, frameRate: media.frameRate });
  const naive = await timed(async () => {
    let n = 0;
    for await (const frame of sampleFrames(plan, { ffmpeg, input: url, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: media.startTime, stillImage: false, timeoutMs: 120_000, concurrency: os.availableParallelism(), method: 'seek' })) {
      if (frame.status === 'sampled') n += 1;
    }
    return n;
  });
  const perFrame = proxy.servedBytes() / NAIVE_FRAMES;
  console.log(`naive presigned URL straight to ffmpeg, ${NAIVE_FRAMES} frames (exact): ${naive.seconds.toFixed(1)} s, ${(perFrame / 1e6).toFixed(1)} MB per frame ` +
    `(${frames} frames would read ~${((perFrame * frames) / video.sizeBytes * 100).toFixed(0)}% of the file)`);
} finally {
  await proxy.stop();
  await s3.stop();
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await run();
  return { value, seconds: (performance.now() - started) / 1000 };
}

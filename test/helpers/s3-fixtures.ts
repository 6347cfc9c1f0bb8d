/**
 * Fixtures for the S3 tests and benchmark: videos made with ffmpeg (the large
 * one cached under the OS temp dir between runs), uploads through the CLI's own
 * client factory, and the CLI run as a subprocess.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/run/s3/client.js';
import { runCli as runCliProcess, type CliResult } from './cli.js';
import { runFfmpeg } from './ffmpeg.js';

export { ROOT as repoRoot } from './cli.js';

/** Runs `framescore ARGS` in a fresh node process with only the given environment on top of PATH/HOME. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, cwd = os.tmpdir()): Promise<CliResult> {
  return runCliProcess(args, { cwd, inheritEnv: false, env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? os.tmpdir(), NODE_NO_WARNINGS: '1', ...env } });
}

/** Uploads bytes with the CLI's client (the test helper's default client sends aws-chunked bodies s3rver stores verbatim). */
export async function putObject(endpoint: string, bucket: string, key: string, body: Uint8Array): Promise<void> {
  const client = createS3Client({ s3Endpoint: endpoint, env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } });
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } finally {
    client.destroy();
  }
}

const cacheDir = path.join(os.tmpdir(), 'framescore-s3-fixtures');

/** A 20-second 320x240 H.264 clip (keyframe every second), moov at the end as cameras write it. */
export async function smallVideo(): Promise<string> {
  return cached('small-v1.mp4', async (out) => {
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '20', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p', out]);
  });
}

export interface LargeVideo {
  readonly file: string;
  readonly sizeBytes: number;
  readonly durationSeconds: number;
  readonly description: string;
}

export interface LargeVideoSpec {
  readonly width: number;
  readonly height: number;
  readonly kbps: number;
  readonly minutes: number;
}

/** The test's default: ≥ 200 MB, 23 minutes of 640x360 at 1.2 Mbit/s. */
export const TEST_LARGE_VIDEO: LargeVideoSpec = { width: 640, height: 360, kbps: 1200, minutes: 23 };

/**
 * A long H.264 video (25 fps, keyframe every 2.28 s: evenly spaced sample
 * times must not all land on keyframes, as they would with a round 2 s): one minute of noisy test
 * pattern encoded once and stream-copied `minutes` times (seconds, not minutes
 * of encoding), cached under the OS temp dir between runs.
 */
export async function largeVideo(spec: LargeVideoSpec = TEST_LARGE_VIDEO): Promise<LargeVideo> {
  const { width, height, kbps, minutes } = spec;
  const file = await cached(`large-${width}x${height}-${kbps}k-${minutes}min-g57-v1.mp4`, async (out) => {
    const segment = `${out}.segment.mp4`;
    const list = `${out}.list.txt`;
    await ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-t', '60', '-vf', 'noise=alls=10:allf=t',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps * 2}k`, '-g', '57', '-pix_fmt', 'yuv420p', segment]);
    await writeFile(list, Array.from({ length: minutes }, () => `file '${segment}'\n`).join(''));
    await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', out]);
    await rm(segment, { force: true });
    await rm(list, { force: true });
  });
  const sizeBytes = (await stat(file)).size;
  return { file, sizeBytes, durationSeconds: minutes * 60, description: `${(sizeBytes / 1e6).toFixed(0)} MB, ${minutes} min ${width}x${height} H.264 at ${kbps} kbit/s` };
}

/** The same video stream-copied into Matroska (ffmpeg's muxer: Cues at the end, 5-second clusters) or MPEG-TS. */
export async function largeCopy(video: LargeVideo, container: 'matroska' | 'mpegts'): Promise<LargeVideo> {
  const extension = container === 'matroska' ? 'mkv' : 'ts';
  const file = await cached(`${path.basename(video.file, '.mp4')}-v2.${extension}`, async (out) => {
    await ffmpeg(['-i', video.file, '-c', 'copy', out], container);
  });
  const sizeBytes = (await stat(file)).size;
  return { ...video, file, sizeBytes, description: `${video.description}, ${container === 'matroska' ? 'Matroska' : 'MPEG-TS'}` };
}

/** Builds `name` once; a half-written file never takes the final name (temp + rename). */
async function cached(name: string, build: (out: string) => Promise<void>): Promise<string> {
  const file = path.join(cacheDir, name);
  if (await stat(file).then((info) => info.size > 0, () => false)) return file;
  await mkdir(cacheDir, { recursive: true });
  const temp = path.join(cacheDir, `.${process.pid}-${name}`);
  try {
    await build(temp);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  return file;
}

async function ffmpeg(args: readonly string[], format = 'mp4'): Promise<void> {
  // -f: the temp names do not end in .mp4 in a way ffmpeg can guess from.
  await runFfmpeg([...args.slice(0, -1), '-f', format, args[args.length - 1]!]);
}

export async function readBytes(file: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(file));
}

/**
 * `framescore doctor`'s containers line: for each container framescore claims, a
 * 0.4 s 64×48 clip made on the spot with the resolved ffmpeg, probed by the
 * product's own probe and one frame decoded by its own sampler. A build that
 * writes a container but cannot read it back (the npm ffprobe segfaulting on
 * MPEG-TS) is named here rather than on the user's first real file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../core/errors.js';
import type { Binaries } from '../../media/binaries.js';
import { runProcess } from '../../media/process.js';
import { probeMedia } from '../../media/probe.js';
import { sampleFrames } from '../../media/sampling/sampler.js';

interface ContainerCheck {
  readonly name: string;
  readonly file: string;
  /** Encoder arguments: a codec the container usually carries, one keyframe. */
  readonly codec: readonly string[];
}

/** The containers the README claims, with the codec each is most often seen with. */
export const CHECKED_CONTAINERS: readonly ContainerCheck[] = [
  { name: 'MP4', file: 'check.mp4', codec: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] },
  { name: 'MOV', file: 'check.mov', codec: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] },
  { name: 'MKV', file: 'check.mkv', codec: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] },
  { name: 'WebM', file: 'check.webm', codec: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-pix_fmt', 'yuv420p'] },
  { name: 'MPEG-TS', file: 'check.ts', codec: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] },
  { name: 'AVI', file: 'check.avi', codec: ['-c:v', 'mpeg4', '-q:v', '5'] },
];

export type ContainersResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly container: string; readonly text: string };

const TIMEOUT_MS = 30_000;

/** Makes, probes and decodes one tiny clip per container; the first that fails is named with its reason. */
export async function checkContainers(binaries: Pick<Binaries, 'ffmpeg' | 'ffprobe'>): Promise<ContainersResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-doctor-containers-'));
  try {
    for (const check of CHECKED_CONTAINERS) {
      const problem = await checkOne(binaries, check, path.join(dir, check.file));
      if (problem !== undefined) return { ok: false, container: check.name, text: `${check.name} does not work with these binaries: ${problem}` };
    }
    return { ok: true, text: `${CHECKED_CONTAINERS.map((check) => check.name).join(', ')} each made, probed and a frame decoded` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function checkOne(binaries: Pick<Binaries, 'ffmpeg' | 'ffprobe'>, check: ContainerCheck, file: string): Promise<string | undefined> {
  try {
    await runProcess(binaries.ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=25:duration=0.4', ...check.codec, file], { timeoutMs: TIMEOUT_MS });
  } catch (error) {
    return `ffmpeg cannot write it (${errorMessage(error)})`;
  }
  let media;
  try {
    media = await probeMedia(binaries.ffprobe, file, file, { timeoutMs: TIMEOUT_MS });
  } catch (error) {
    // The probe's message names the temp file; its cause says how ffprobe ended (a crash, an exit code).
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `ffprobe cannot read it (${errorMessage(error).replace(`"${file}"`, check.file)}${cause})`;
  }
  const frames = [];
  try {
    for await (const frame of sampleFrames([{ index: 0, requestedTime: media.duration / 2 }], {
      ffmpeg: binaries.ffmpeg, input: file, width: 16, height: 16, fit: 'crop', keyframes: false, startTime: media.startTime,
      stillImage: false, timeoutMs: TIMEOUT_MS, concurrency: 1,
      media: { container: media.container, codec: media.codec, width: media.width, height: media.height, frameRate: media.frameRate, duration: media.duration },
    })) frames.push(frame);
  } catch (error) {
    return `no frame could be decoded (${errorMessage(error)})`;
  }
  const frame = frames[0];
  if (frame?.status !== 'sampled') return `no frame could be decoded (${frame?.status === 'failed' ? frame.message : 'nothing came back'})`;
  return undefined;
}

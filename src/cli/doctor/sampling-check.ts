/**
 * `framescore doctor`'s sampling line: samples one frame of a tiny H.264 MP4 made on
 * the spot, to show whether this ffmpeg runs the indexed path (a long-lived decoder fed
 * FLV) or leaves framescore to one ffmpeg seek per frame.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../core/errors.js';
import type { Binaries } from '../../media/binaries.js';
import { runProcess } from '../../media/process.js';
import { sampleFrames } from '../../media/sampling/sampler.js';

export async function checkSampling(binaries: Pick<Binaries, 'ffmpeg'>): Promise<{ ok: boolean; text: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-doctor-'));
  try {
    const video = path.join(dir, 'check.mp4');
    try {
      await runProcess(binaries.ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25:duration=1',
        '-c:v', 'libx264', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p', video], { timeoutMs: 30_000 });
    } catch (error) {
      return { ok: true, text: `indexed path not checked: this ffmpeg cannot write a test H.264 file (${errorMessage(error)})` };
    }
    const notes: string[] = [];
    const frames = [];
    for await (const frame of sampleFrames([{ index: 0, requestedTime: 0.5 }], {
      ffmpeg: binaries.ffmpeg, input: video, width: 32, height: 32, fit: 'crop', keyframes: false, startTime: 0,
      stillImage: false, timeoutMs: 30_000, concurrency: 1, onNote: (note) => notes.push(note),
    })) frames.push(frame);
    const fellBack = notes.find((note) => /per-frame seek|seek per frame/.test(note));
    if (frames[0]?.status !== 'sampled') return { ok: false, text: `PROBLEM: no frame could be decoded from a test H.264 file (${frames[0]?.status === 'failed' ? frames[0].message : 'nothing came back'})` };
    if (fellBack) return { ok: true, text: `one ffmpeg seek per frame only; the indexed path failed here: ${fellBack}` };
    return { ok: true, text: 'indexed for MP4/MOV H.264 and HEVC (one long-lived ffmpeg per core), one ffmpeg seek per frame for other inputs' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * End to end: `framescore classify --local` on the 30-minute 1080p file, in this
 * process so its peak RSS (main thread + inference workers) can be read; ffmpeg runs
 * as child processes and is reported separately by CPU time. Then the same run with
 * `--sampler seek` (one ffmpeg per frame) as the baseline.
 */
import { Writable } from 'node:stream';
import { main } from '../src/cli/main.js';
import { broadcastVideo, childCpuSeconds } from './media.js';

const video = await broadcastVideo();

async function classify(extra: string[]): Promise<{ wall: number; ffmpegCpu: number; bytes: number; code: number }> {
  let bytes = 0;
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { bytes += chunk.length; done(); } });
  const started = performance.now();
  const cpuBefore = await childCpuSeconds();
  const code = await main(['classify', video, '--local', '--format', 'json', '-o', '-', '-q', ...extra], { stdout: sink, handleSignals: false });
  return { wall: (performance.now() - started) / 1000, ffmpegCpu: (await childCpuSeconds()) - cpuBefore, bytes, code };
}

const indexed = await classify([]);
const rss = process.resourceUsage().maxRSS / 1024;
console.log(`classify --local, 150 frames of ${video}: exit ${indexed.code}, wall ${indexed.wall.toFixed(1)} s, ${(150 / indexed.wall).toFixed(1)} frames/s`);
console.log(`peak RSS of framescore (main + workers): ${rss.toFixed(0)} MB; ffmpeg CPU ${indexed.ffmpegCpu.toFixed(1)} s; report ${(indexed.bytes / 1024).toFixed(0)} KB`);
const seek = await classify(['--sampler', 'seek']);
console.log(`the same with --sampler seek: exit ${seek.code}, wall ${seek.wall.toFixed(1)} s, ffmpeg CPU ${seek.ffmpegCpu.toFixed(1)} s → indexed sampling is ${(seek.wall / indexed.wall).toFixed(1)}x faster end to end`);

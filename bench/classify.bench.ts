/**
 * End to end: `framescore classify --local` on the 30-minute 1080p file, in this
 * process so its peak RSS (main thread + inference workers) can be read; ffmpeg runs
 * as child processes and is reported separately by CPU time.
 */
import { Writable } from 'node:stream';
import { main } from '../src/cli/main.js';
import { broadcastVideo, childCpuSeconds } from './media.js';

const video = await broadcastVideo();
let bytes = 0;
const sink = new Writable({ write(chunk: Buffer, _encoding, done) { bytes += chunk.length; done(); } });
const started = performance.now();
const cpuBefore = await childCpuSeconds();
const code = await main(['classify', video, '--local', '--format', 'json', '-o', '-', '-q'], { stdout: sink, handleSignals: false });
const wall = (performance.now() - started) / 1000;
const usage = process.resourceUsage();
console.log(`classify --local, 150 frames of ${video}: exit ${code}, wall ${wall.toFixed(1)} s, ${(150 / wall).toFixed(1)} frames/s`);
console.log(`peak RSS of framescore (main + workers): ${(usage.maxRSS / 1024).toFixed(0)} MB; ffmpeg CPU ${((await childCpuSeconds()) - cpuBefore).toFixed(1)} s; report ${(bytes / 1024).toFixed(0)} KB`);

/**
 * Lossless frames against the JPEG step they replaced, on the 30-minute 1080p bench
 * file's 150 frames: bytes per frame on the wire and client CPU per frame for each
 * encoding (raw RGB deflated at zlib 1 and 6, PNG, JPEG q 2 from ffmpeg), the
 * distribution of the score difference JPEG makes, and `classify --local` end to
 * end with --frame-format lossless against jpeg, interleaved, medians.
 */
import { Writable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import { Classifier } from '../src/core/classifier.js';
import { isEncoded, type FrameImage, type RgbImage } from '../src/core/image-decode.js';
import { readModelBundle } from '../src/core/model-files.js';
import { directoryModelFiles } from '../src/core/model-directory.js';
import { planFrames } from '../src/core/sampling-plan.js';
import { activateBackend } from '../src/core/tf-backend.js';
import { resolveBinaries } from '../src/media/binaries.js';
import type { FrameFormat } from '../src/media/decode/frame-output.js';
import { probeMedia } from '../src/media/probe.js';
import { wasmDirectory } from '../src/run/local/backend.js';
import { main } from '../src/cli/main.js';
import { DEFAULT_MODEL_DIR } from '../src/run/paths.js';
import { encodePng } from '../src/media/sampling/saved-frames.js';
import { sampleFrames } from '../src/media/sampling/sampler.js';
import { broadcastVideo, childCpuSeconds } from './media.js';

const video = await broadcastVideo();
const binaries = resolveBinaries();
const media = await probeMedia(binaries.ffprobe, video, video);
const plan = planFrames({ mode: { kind: 'count', frames: 150 }, keyframes: false }, media);

async function sample(frameFormat: FrameFormat): Promise<{ frames: Map<number, FrameImage>; ffmpegCpu: number }> {
  const before = await childCpuSeconds();
  const frames = new Map<number, FrameImage>();
  for await (const frame of sampleFrames(plan, {
    ffmpeg: binaries.ffmpeg, input: video, width: 224, height: 224, fit: 'crop', frameFormat, keyframes: false,
    startTime: media.startTime, stillImage: false, timeoutMs: 60_000, concurrency: 2,
  })) if (frame.status === 'sampled') frames.set(frame.index, frame.image);
  return { frames, ffmpegCpu: (await childCpuSeconds()) - before };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const quantile = (values: readonly number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

/** CPU ms per frame (this thread) and bytes per frame of an encoding, median of 3 rounds. */
function measure(name: string, images: readonly RgbImage[], encode: (image: RgbImage) => Uint8Array): { name: string; bytes: number; cpuMs: number } {
  const rounds: number[] = [];
  let bytes = 0;
  for (let round = 0; round < 3; round += 1) {
    const started = process.cpuUsage();
    bytes = 0;
    for (const image of images) bytes += Buffer.from(encode(image)).toString('base64').length;
    const used = process.cpuUsage(started);
    rounds.push((used.user + used.system) / 1000 / images.length);
  }
  return { name, bytes: bytes / images.length, cpuMs: median(rounds) };
}

const lossless = await sample('lossless');
const jpeg = await sample('jpeg');
const pixels = [...lossless.frames.values()].filter((image): image is RgbImage => !isEncoded(image));
const jpegs = [...jpeg.frames.values()].filter((image): image is Uint8Array => isEncoded(image));
console.log(`sampled ${pixels.length} lossless and ${jpegs.length} JPEG frames of ${video}; ffmpeg CPU ${(lossless.ffmpegCpu / pixels.length * 1000).toFixed(1)} vs ${(jpeg.ffmpegCpu / jpegs.length * 1000).toFixed(1)} ms a frame`);

const rows = [
  measure('raw RGB + zlib 1 (default)', pixels, (image) => deflateSync(image.data, { level: 1 })),
  measure('raw RGB + zlib 6', pixels, (image) => deflateSync(image.data, { level: 6 })),
  measure('PNG (pngjs)', pixels, (image) => encodePng(image)),
  { name: 'JPEG q 2 (ffmpeg; base64 only here)', bytes: jpegs.reduce((sum, bytes) => sum + Math.ceil(bytes.length / 3) * 4, 0) / jpegs.length, cpuMs: 0 },
];
console.log('\nencoding                               base64 bytes/frame   client CPU ms/frame   vs raw 224×224×3 (150,528 B)');
for (const row of rows) console.log(`${row.name.padEnd(40)} ${(row.bytes / 1024).toFixed(1).padStart(8)} KB ${row.cpuMs.toFixed(2).padStart(14)} ${(row.bytes / 150_528).toFixed(2).padStart(18)}`);

await activateBackend('wasm', { wasmDir: wasmDirectory() });
const classifier = await Classifier.load(await readModelBundle(directoryModelFiles(DEFAULT_MODEL_DIR)));
const diffs: number[] = [];
let topChanged = 0;
for (const [index, image] of lossless.frames) {
  const other = jpeg.frames.get(index);
  if (other === undefined) continue;
  const [a, b] = await classifier.classify([image, other]);
  if (a?.status !== 'ok' || b?.status !== 'ok') continue;
  diffs.push(Math.max(...Object.keys(a.scores).map((label) => Math.abs(a.scores[label]! - b.scores[label]!))));
  if (a.top.label !== b.top.label) topChanged += 1;
}
classifier.dispose();
console.log(`\nscore difference JPEG vs lossless, max over labels per frame, ${diffs.length} frames: median ${median(diffs).toExponential(2)}, p95 ${quantile(diffs, 0.95).toExponential(2)}, max ${Math.max(...diffs).toExponential(2)}; top label changed on ${topChanged}`);

async function classify(format: FrameFormat): Promise<number> {
  const sink = new Writable({ write(_chunk, _encoding, done) { done(); } });
  const started = performance.now();
  const code = await main(['classify', video, '--local', '--frame-format', format, '--format', 'json', '-o', '-', '-q'], { stdout: sink, handleSignals: false });
  if (code !== 0) throw new Error(`classify --frame-format ${format} exited ${code}`);
  return (performance.now() - started) / 1000;
}
const walls: Record<FrameFormat, number[]> = { lossless: [], jpeg: [] };
for (let round = 0; round < 3; round += 1) {
  for (const format of round % 2 === 0 ? (['jpeg', 'lossless'] as const) : (['lossless', 'jpeg'] as const)) walls[format].push(await classify(format));
}
const ratio = median(walls.lossless) / median(walls.jpeg);
console.log(`\nclassify --local, 150 frames, 3 interleaved rounds: lossless ${median(walls.lossless).toFixed(1)} s (${walls.lossless.map((s) => s.toFixed(1)).join(', ')}), jpeg ${median(walls.jpeg).toFixed(1)} s (${walls.jpeg.map((s) => s.toFixed(1)).join(', ')}) → lossless/jpeg ${ratio.toFixed(2)} (goal ≤ 1.00)`);

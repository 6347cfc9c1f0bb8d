/**
 * Sampling in the function fleet, on the 30-minute 1080p25 bench file in s3rver at
 * `--every 1` (1,800 frames): what the client reads and spends (through a counting
 * proxy), the service time, bytes and frames decoded of the function's invocations
 * (the handler run here on a sample of the planned invocations, with the npm static
 * ffmpeg the layer ships), the makespan those give on C = 150 and C = 1,000 lanes plus
 * the client's own time, the cost at arm64 prices, and local sampling of the same plan
 * (the file on disk, two cores) in the same run.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { CONTRACT_VERSION } from '../src/core/contract.js';
import { SAMPLE_KIND, type SampleRequest, type SampleResponse } from '../src/core/contract-sample.js';
import { planFrames } from '../src/core/sampling-plan.js';
import { resolveBinaries } from '../src/media/binaries.js';
import { openInput } from '../src/run/input.js';
import { probeMedia } from '../src/media/probe.js';
import { FrameChooser } from '../src/media/index/frame-choice.js';
import { readMp4VideoTrack } from '../src/media/mp4/video-track.js';
import { mp4Spans, packInvocations, planDecodeJobs, type Invocation } from '../src/media/sampling/decode-jobs.js';
import { sampleFrames } from '../src/media/sampling/sampler.js';
import { openByteSource } from '../src/media/source/byte-source.js';
import { startCountingProxy } from '../test/helpers/s3-counting-proxy.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { putObject } from '../test/helpers/s3-fixtures.js';
import { broadcastVideo, childCpuSeconds } from './media.js';

const MEMORY_GB = 3538 / 1024;
const ARM64 = { perGbSecond: 0.0000133334, perRequest: 0.0000002 };
const SAMPLED_INVOCATIONS = Number(process.env.FRAMESCORE_BENCH_INVOCATIONS ?? 6);

const video = await broadcastVideo();
const binaries = resolveBinaries();
const s3 = await startS3rver({ buckets: ['media'] });
const proxy = await startCountingProxy(s3.port);
try {
  console.log(`uploading ${video} to s3rver…`);
  await putObject(s3.endpoint, 'media', 'episodes/broadcast.mp4', new Uint8Array(await readFile(video)));
  const uri = 's3://media/episodes/broadcast.mp4';

  // The client's part: HeadObject, probe and index through the relay, plan, pack.
  proxy.reset();
  const cpu = process.cpuUsage();
  const childBefore = await childCpuSeconds();
  const started = performance.now();
  const opened = await openInput(uri, { s3Endpoint: proxy.endpoint, env: { ...process.env, ...s3.env } });
  const media = await probeMedia(binaries.ffprobe, opened.input, uri, { sizeBytes: opened.sizeBytes });
  const source = await openByteSource(opened.input, opened.sizeBytes);
  const reading = await readMp4VideoTrack(source);
  await source.close();
  if (!('track' in reading)) throw new Error(reading.unsupported);
  const plan = planFrames({ mode: { kind: 'every', seconds: 1 }, keyframes: false }, media);
  const jobs = planDecodeJobs(plan, { times: reading.track.times, chooser: new FrameChooser(reading.track), spans: mp4Spans(reading.track) }, { startTime: media.startTime, keyframes: false });
  const packings = new Map<number, Invocation[]>([150, 1000].map((lanes) => [lanes, packInvocations(jobs.gops, jobs.seeks, { lanes, maxTargets: 256 })]));
  const clientMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const clientCpu = (used.user + used.system) / 1e6 + ((await childCpuSeconds()) - childBefore);
  const clientBytes = proxy.servedBytes();
  console.log(`\n${plan.length} frames of a ${(opened.sizeBytes! / 1e9).toFixed(2)} GB object: ${jobs.gops.length} GOP jobs, ${jobs.seeks.length} seeks`);
  console.log(`client: read ${(clientBytes / 1e6).toFixed(2)} MB = ${((100 * clientBytes) / opened.sizeBytes!).toFixed(3)} % of the object (goal ≤ 0.5 %), ${clientMs.toFixed(0)} ms wall, ${clientCpu.toFixed(2)} CPU-s (incl. ffprobe)`);

  // The function's part: its handler, here, on a sample of each packing's invocations.
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'media', Key: 'episodes/broadcast.mp4' }));
  Object.assign(process.env, s3.env, { VIDEO_URI_PREFIXES: 's3://media/episodes/', FFMPEG_PATH: process.env.FRAMESCORE_BENCH_FFMPEG ?? binaries.ffmpeg });
  const { handler } = await import('../src/lambda/index.js');
  const base = {
    v: CONTRACT_VERSION as typeof CONTRACT_VERSION, kind: SAMPLE_KIND as typeof SAMPLE_KIND, object: { uri, etag: head.ETag!, size: opened.sizeBytes! },
    video: { startTime: media.startTime, rotation: 0, keyframes: false }, fit: 'crop' as const,
    track: { codec: reading.track.codec, config: reading.track.decoderConfig.toString('base64'), width: reading.track.width, height: reading.track.height, nalLengthSize: reading.track.nalLengthSize },
  };
  await handler({ warmup: true });
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const [lanes, invocations] of packings) {
    const picks = Array.from({ length: Math.min(SAMPLED_INVOCATIONS, invocations.length) }, (_, i) => invocations[Math.floor(((i + 0.5) * invocations.length) / SAMPLED_INVOCATIONS)]!);
    const service: number[] = [];
    const perCodedFrame: number[] = [];
    let bytes = 0;
    let decoded = 0;
    for (const invocation of picks) {
      const request: SampleRequest = { ...base, gops: invocation.gops, seeks: invocation.seeks };
      const t = performance.now();
      const response = (await handler(request)) as SampleResponse;
      const ms = performance.now() - t;
      if (!('results' in response) || response.results.some((result) => result.status !== 'ok')) throw new Error(`invocation failed: ${JSON.stringify(response).slice(0, 300)}`);
      service.push(ms);
      const coded = invocation.gops.reduce((sum, gop) => sum + gop.offsets.length, 0);
      perCodedFrame.push(ms / coded);
      bytes += response.media.bytesRead;
      decoded += response.media.framesDecoded;
    }
    // Every invocation of a packing carries about the same work (LPT): price them all by the measured ms per coded frame.
    const msPerCoded = median(perCodedFrame);
    const estimates = invocations.map((invocation) => msPerCoded * invocation.gops.reduce((sum, gop) => sum + gop.offsets.length, 0));
    const makespan = Math.max(...estimates) + clientMs;
    const billedGbSeconds = estimates.reduce((sum, ms) => sum + Math.ceil(ms) / 1000, 0) * MEMORY_GB;
    const cost = billedGbSeconds * ARM64.perGbSecond + invocations.length * ARM64.perRequest;
    const targets = invocations.map((invocation) => invocation.gops.reduce((sum, gop) => sum + gop.targets.length, 0) + invocation.seeks.length);
    console.log(`\nC = ${lanes}: ${invocations.length} invocations of ${Math.min(...targets)}–${Math.max(...targets)} frames; measured ${picks.length} here: service median ${median(service).toFixed(0)} ms (max ${Math.max(...service).toFixed(0)}), `
      + `${(bytes / picks.length / 1e6).toFixed(2)} MB read and ${(decoded / picks.length).toFixed(0)} frames decoded per invocation`);
    console.log(`  makespan ≈ slowest invocation ${Math.max(...estimates).toFixed(0)} ms + client ${clientMs.toFixed(0)} ms = ${(makespan / 1000).toFixed(2)} s (goal ≤ ${lanes === 150 ? 5 : 2} s; invocation overhead and cold starts not included)`);
    console.log(`  cost at arm64 prices, ${Math.round(MEMORY_GB * 1024)} MB: ${billedGbSeconds.toFixed(1)} GB-s + ${invocations.length} requests = $${cost.toFixed(4)} per episode (goal ≤ $0.01)`);
  }

  // Local sampling of the same plan, the file on disk, this machine's two cores (FRAMESCORE_BENCH_LOCAL=0 skips it: minutes).
  if (process.env.FRAMESCORE_BENCH_LOCAL === '0') process.exit(0);
  const localStarted = performance.now();
  let sampled = 0;
  for await (const frame of sampleFrames(plan, {
    ffmpeg: binaries.ffmpeg, input: video, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: media.startTime, stillImage: false, timeoutMs: 120_000, concurrency: 2,
  })) if (frame.status === 'sampled') sampled += 1;
  const localMs = performance.now() - localStarted;
  console.log(`\nlocal sampling of the same ${plan.length} frames (file on disk, 2 cores, no inference): ${(localMs / 1000).toFixed(1)} s for ${sampled} frames`);
} finally {
  await proxy.stop();
  await s3.stop();
}
process.exit(0);

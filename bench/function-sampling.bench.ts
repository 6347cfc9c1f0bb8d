/**
 * Sampling in the function fleet, on the 1080p25 bench file's MP4, Matroska and MPEG-TS
 * copies (stream copies of one encode) in s3rver at `--every 1`: what the client reads
 * (through a counting proxy: the probe, then the MP4's moov or the first bytes of the
 * others) and the product's own planning (MP4: GOP jobs packed into invocations; MKV and
 * TS: span jobs the function indexes itself); then the function's invocations (the
 * handler run here on a sample of each container's invocations, interleaved, with the
 * npm static ffmpeg the layer ships): service time, bytes read, frames decoded, and the
 * MKV/MP4 and TS/MP4 ratios of their medians. Then, for the MP4, the makespan those give
 * on C lanes plus the client's own time, the cost at arm64 prices, and local sampling of
 * the same plan (the file on disk, two cores) in the same run.
 *
 * The 30-minute file by default; FRAMESCORE_BENCH_MINUTES=10 for the quicker one.
 * FRAMESCORE_BENCH_LANES (default 150) is C, FRAMESCORE_BENCH_INVOCATIONS (default 6) how
 * many invocations of each container are run, FRAMESCORE_BENCH_LOCAL=0 skips local sampling.
 * The function's GETs go through a proxy that holds each request FRAMESCORE_BENCH_GET_MS
 * (default 20) before s3rver sees it, about an S3 GET's time to first byte in-region, so
 * an invocation's chain of reads costs what it would in AWS.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { CONTRACT_VERSION } from '../src/core/contract.js';
import { SAMPLE_KIND, SPAN_CONTAINERS, JOB_CONTAINERS, type SampleRequest, type SampleResponse } from '../src/core/contract-sample.js';
import { planFrames } from '../src/core/sampling-plan.js';
import { resolveBinaries } from '../src/media/binaries.js';
import { openInput } from '../src/run/input.js';
import { probeMedia, type MediaInfo } from '../src/media/probe.js';
import { sampleFrames } from '../src/media/sampling/sampler.js';
import { planInvocations, type FleetWork } from '../src/run/fleet/sample-and-score.js';
import { startCountingProxy } from '../test/helpers/s3-counting-proxy.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { putObject } from '../test/helpers/s3-fixtures.js';
import { broadcastSet, childCpuSeconds, lengthLabel } from './media.js';

const MEMORY_GB = 3538 / 1024;
const ARM64 = { perGbSecond: 0.0000133334, perRequest: 0.0000002 };
const MINUTES = Number(process.env.FRAMESCORE_BENCH_MINUTES ?? 30);
const LANES = Number(process.env.FRAMESCORE_BENCH_LANES ?? 150);
const SAMPLED_INVOCATIONS = Number(process.env.FRAMESCORE_BENCH_INVOCATIONS ?? 6);
const GET_MS = Number(process.env.FRAMESCORE_BENCH_GET_MS ?? 20);
const CONTAINERS = ['mp4', 'mkv', 'ts'] as const;
type Container = (typeof CONTAINERS)[number];

interface ClientSide {
  readonly uri: string;
  readonly size: number;
  readonly etag: string;
  readonly media: MediaInfo;
  readonly work: FleetWork;
  readonly probeBytes: number;
  readonly clientBytes: number;
  readonly clientMs: number;
  readonly clientCpu: number;
}

interface Measured {
  readonly serviceMs: number;
  readonly bytesRead: number;
  readonly getRequests: number;
  readonly framesDecoded: number;
  readonly gopWalks: number;
  readonly seeks: number;
}

const set = await broadcastSet(MINUTES);
const files: Record<Container, string> = { mp4: set.mp4, mkv: set.mkv, ts: set.ts };
const binaries = resolveBinaries();
const s3 = await startS3rver({ buckets: ['media'] });
const proxy = await startCountingProxy(s3.port);
const slowed = await startCountingProxy(s3.port, { requestDelayMs: GET_MS });
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

/** The client's part, as `classify --sample-on lambda` runs it: HeadObject, probe, then the product's planning. */
async function clientSide(container: Container): Promise<ClientSide> {
  const key = `episodes/broadcast.${container}`;
  const uri = `s3://media/${key}`;
  proxy.reset();
  const cpu = process.cpuUsage();
  const childBefore = await childCpuSeconds();
  const started = performance.now();
  const opened = await openInput(uri, { s3Endpoint: proxy.endpoint, env: { ...process.env, ...s3.env } });
  const media = await probeMedia(binaries.ffprobe, opened.input, uri, { sizeBytes: opened.sizeBytes });
  const probeBytes = proxy.servedBytes();
  const plan = planFrames({ mode: { kind: 'every', seconds: 1 }, keyframes: false }, media);
  // What a function that advertises span jobs answers in its warm-up (src/lambda/warmup.ts).
  const work = await planInvocations(opened, { media, plan, keyframes: false }, { containers: JOB_CONTAINERS, spans: SPAN_CONTAINERS }, { lanes: LANES, maxTargets: 256 });
  const clientMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const clientCpu = (used.user + used.system) / 1e6 + ((await childCpuSeconds()) - childBefore);
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'media', Key: key }));
  return { uri, size: opened.sizeBytes!, etag: head.ETag!, media, work, probeBytes, clientBytes: proxy.servedBytes(), clientMs, clientCpu };
}

try {
  const clients = new Map<Container, ClientSide>();
  for (const container of CONTAINERS) {
    console.log(`uploading ${files[container]} to s3rver…`);
    await putObject(s3.endpoint, 'media', `episodes/broadcast.${container}`, new Uint8Array(await readFile(files[container])));
    clients.set(container, await clientSide(container));
  }
  const length = lengthLabel(clients.get('mp4')!.media.duration);
  console.log(`\n${length} 1080p25 file at --every 1, C = ${LANES}: the client's part`);
  for (const [container, client] of clients) {
    const share = (bytes: number): string => `${((100 * bytes) / client.size).toFixed(3)} %`;
    console.log(`  ${container.padEnd(4)} ${(client.size / 1e9).toFixed(2)} GB: client read ${mb(client.clientBytes)} = ${share(client.clientBytes)} of the object (goal ≤ 0.5 %; the probe ${mb(client.probeBytes)} = ${share(client.probeBytes)}), `
      + `${client.clientMs.toFixed(0)} ms wall, ${client.clientCpu.toFixed(2)} CPU-s (incl. ffprobe); ${client.work.note}`);
  }

  // The function's part: its handler, here, on the same share of each container's invocations, interleaved.
  Object.assign(process.env, s3.env, { AWS_ENDPOINT_URL_S3: slowed.endpoint, VIDEO_URI_PREFIXES: 's3://media/episodes/', FFMPEG_PATH: process.env.FRAMESCORE_BENCH_FFMPEG ?? binaries.ffmpeg });
  const { handler } = await import('../src/lambda/index.js');
  await handler({ warmup: true });
  const measured = new Map<Container, Measured[]>(CONTAINERS.map((container) => [container, []]));
  for (let pick = 0; pick < SAMPLED_INVOCATIONS; pick += 1) {
    for (const container of CONTAINERS) {
      const client = clients.get(container)!;
      const { invocations, track } = client.work;
      const invocation = invocations[Math.floor(((pick + 0.5) * invocations.length) / SAMPLED_INVOCATIONS)]!;
      const request: SampleRequest = {
        v: CONTRACT_VERSION, kind: SAMPLE_KIND, object: { uri: client.uri, etag: client.etag, size: client.size },
        video: { startTime: client.media.startTime, rotation: 0, keyframes: false, ...(client.media.clockContinuous === true ? { clockContinuous: true } : {}) }, fit: 'crop', ...(track === undefined ? {} : { track }), ...invocation,
      };
      const started = performance.now();
      const response = (await handler(request)) as SampleResponse;
      const serviceMs = performance.now() - started;
      if (!('results' in response) || response.results.some((result) => result.status !== 'ok')) throw new Error(`${container} invocation failed: ${JSON.stringify(response).slice(0, 300)}`);
      const { bytesRead, getRequests, framesDecoded, gopWalks = 0, seeks = 0 } = response.media;
      measured.get(container)!.push({ serviceMs, bytesRead, getRequests, framesDecoded, gopWalks, seeks });
    }
  }
  const medians = new Map([...measured].map(([container, runs]) => [container, {
    serviceMs: median(runs.map((run) => run.serviceMs)), bytesRead: median(runs.map((run) => run.bytesRead)), getRequests: median(runs.map((run) => run.getRequests)),
    framesDecoded: median(runs.map((run) => run.framesDecoded)), gopWalks: median(runs.map((run) => run.gopWalks)), seeks: median(runs.map((run) => run.seeks)),
  }]));
  console.log(`\n${length}: the function's invocations (${SAMPLED_INVOCATIONS} of each container's, interleaved; medians; ${GET_MS} ms to each GET's first byte)`);
  for (const [container, m] of medians) {
    const frames = clients.get(container)!.work.invocations.map((invocation) => [...invocation.gops.flatMap((gop) => gop.targets), ...invocation.seeks, ...(invocation.spans ?? []).flatMap((span) => span.targets)].length);
    console.log(`  ${container.padEnd(4)} ${Math.min(...frames)}–${Math.max(...frames)} frames an invocation: service ${m.serviceMs.toFixed(0)} ms, read ${mb(m.bytesRead)} in ${m.getRequests} GETs, `
      + `${m.framesDecoded} frames decoded in ${m.gopWalks} GOP walks and ${m.seeks} seeks`);
  }
  const mp4 = medians.get('mp4')!;
  for (const container of ['mkv', 'ts'] as const) {
    const m = medians.get(container)!;
    console.log(`  ${container.toUpperCase()}/MP4 (${length}): service ${(m.serviceMs / mp4.serviceMs).toFixed(2)}×, bytes read ${(m.bytesRead / mp4.bytesRead).toFixed(2)}× (goal ≤ 1.2× each)`);
  }

  // The MP4's makespan and cost on C lanes, every invocation priced by the measured ms per coded frame.
  const client = clients.get('mp4')!;
  const coded = (invocation: FleetWork['invocations'][number]): number => invocation.gops.reduce((sum, gop) => sum + gop.offsets.length, 0);
  const picks = Array.from({ length: SAMPLED_INVOCATIONS }, (_, i) => client.work.invocations[Math.floor(((i + 0.5) * client.work.invocations.length) / SAMPLED_INVOCATIONS)]!);
  const msPerCoded = median(measured.get('mp4')!.map((run, i) => run.serviceMs / coded(picks[i]!)));
  const estimates = client.work.invocations.map((invocation) => msPerCoded * coded(invocation));
  const makespan = Math.max(...estimates) + client.clientMs;
  const billedGbSeconds = estimates.reduce((sum, ms) => sum + Math.ceil(ms) / 1000, 0) * MEMORY_GB;
  const cost = billedGbSeconds * ARM64.perGbSecond + estimates.length * ARM64.perRequest;
  console.log(`\nMP4 (${length}), C = ${LANES}: makespan ≈ slowest invocation ${Math.max(...estimates).toFixed(0)} ms + client ${client.clientMs.toFixed(0)} ms = ${(makespan / 1000).toFixed(2)} s (invocation overhead and cold starts not included)`);
  console.log(`  cost at arm64 prices, ${Math.round(MEMORY_GB * 1024)} MB: ${billedGbSeconds.toFixed(1)} GB-s + ${estimates.length} requests = $${cost.toFixed(4)} per episode (goal ≤ $0.01)`);

  // Local sampling of the same plan, the file on disk, this machine's two cores (FRAMESCORE_BENCH_LOCAL=0 skips it: minutes).
  if (process.env.FRAMESCORE_BENCH_LOCAL !== '0') {
    const plan = planFrames({ mode: { kind: 'every', seconds: 1 }, keyframes: false }, client.media);
    const localStarted = performance.now();
    let sampled = 0;
    for await (const frame of sampleFrames(plan, {
      ffmpeg: binaries.ffmpeg, input: set.mp4, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: client.media.startTime, stillImage: false, timeoutMs: 120_000, concurrency: 2,
    })) if (frame.status === 'sampled') sampled += 1;
    console.log(`\nlocal sampling of the same ${plan.length} frames (MP4 on disk, 2 cores, no inference): ${((performance.now() - localStarted) / 1000).toFixed(1)} s for ${sampled} frames`);
  }
} finally {
  await proxy.stop();
  await slowed.stop();
  await s3.stop();
}
process.exit(0);

/**
 * Fan-out benchmark: the Lambda FrameScorer's pool against the fake Invoke API
 * (in a child process, so client CPU and memory are the client's own) with a
 * fixed service time L and a capacity C. Pre-made frames, no ffmpeg: this
 * measures the fan-out, not sampling.
 *   1. makespan / ideal, ideal = ceil(N / (C·K)) · L + the per-request
 *      overhead of one warm invocation measured in the same run (target ≤ 1.15);
 *   2. requested vs achieved parallelism at 50, 150, 500, 1,000 (at the server);
 *   3. client CPU ms per invocation and peak RSS for 2,000 frames (≤ 300 MB).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import type { SampledFrame } from '../src/core/results.js';
import { createLambdaClient } from '../src/run/fleet/client.js';
import { FanoutPool } from '../src/run/fleet/fanout.js';
import type { BatchSizeSetting } from '../src/run/fleet/batching.js';
import { FleetSession } from '../src/run/fleet/session.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeStats } from '../test/helpers/fake-invoke-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const modelDir = path.join(repoRoot, 'models', 'nsfw-mobilenet-v2');
const SCORES = { Drawing: 0.1, Hentai: 0.1, Neutral: 0.6, Porn: 0.1, Sexy: 0.1 };

interface Endpoint {
  readonly url: string;
  stats(): Promise<FakeInvokeStats & { processCpuMs: number }>;
  stop(): void;
}

async function endpoint(options: { capacity?: number; serviceMs: number }): Promise<Endpoint> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { url, stats: async () => (await (await fetch(`${url}/__stats`)).json()) as FakeInvokeStats & { processCpuMs: number }, stop: () => child.kill('SIGTERM') };
}

/** A 224×224 JPEG with gradients and some texture, about the size the sampler makes; each frame gets its own copy, as from ffmpeg. */
const FRAME = jpeg.encode({ width: 224, height: 224, data: Buffer.from(Array.from({ length: 224 * 224 * 4 }, (_, i) => {
  const x = (i >> 2) % 224;
  const y = Math.floor((i >> 2) / 224);
  return (x + 2 * y + ((x * y) % 3) * 3 + (i & 3) * 40) & 255;
})) }, 75).data;

async function* frames(count: number): AsyncGenerator<SampledFrame> {
  for (let index = 0; index < count; index += 1) yield { index, requestedTime: index, actualTime: index, status: 'sampled', image: new Uint8Array(FRAME) };
}

interface FanOutRun {
  readonly ms: number;
  readonly ok: number;
  readonly invocations: number;
  readonly throttles: number;
  readonly limit: number;
  readonly firstResultMs: number;
  /** Client CPU (this process) spent on the run. */
  readonly cpuMs: number;
}

async function fanOut(url: string, count: number, concurrency: number, batchSize: BatchSizeSetting): Promise<FanOutRun> {
  const target = { functionName: 'bench' };
  const connection = createLambdaClient(target, { endpointUrl: url, env: {}, credentials: { accessKeyId: 'b', secretAccessKey: 'b' }, maxSockets: concurrency + 8, timeoutMs: 60_000 });
  const pool = new FanoutPool({
    client: connection.client, target, concurrency, batchSize, maxAttempts: 3, timeoutMs: 60_000,
    prices: { architecture: 'arm64', perGbSecond: 0.0000133334, perRequest: 0.0000002 }, signal: new AbortController().signal,
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let ok = 0;
  let firstResultMs = 0;
  for await (const result of new FleetSession(pool, count).score(frames(count))) {
    if (result.status === 'ok') ok += 1;
    firstResultMs ||= performance.now() - started;
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const { invocations, throttles } = pool.telemetry.facts(ms, pool.options.prices);
  pool.close();
  connection.close();
  return { ms, ok, invocations, throttles, limit: pool.aimd.stats().limit, firstResultMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function main(): Promise<void> {
  const only = process.argv[2];
  console.log(`pre-made frame: ${FRAME.length} bytes of JPEG`);
  if (only === undefined || only === 'makespan') await makespan();
  if (only === undefined || only === 'parallelism') await parallelism();
  if (only === undefined || only === 'cost') await clientCost();
}

async function makespan(): Promise<void> {
  const L = 200;
  const C = 150;
  console.log(`makespan vs ideal (service time L = ${L} ms, capacity C = ${C})`);
  const server = await endpoint({ capacity: C, serviceMs: L });
  try {
    // Baseline in the same run: one warm invocation's round trip beyond L is the fixed per-request overhead.
    await fanOut(server.url, 1, 1, { kind: 'fixed', frames: 1 });
    const single = await fanOut(server.url, 1, 1, { kind: 'fixed', frames: 1 });
    const overhead = Math.max(0, single.ms - L);
    console.log(`  baseline: one warm invocation ${single.ms.toFixed(0)} ms (overhead ${overhead.toFixed(0)} ms)`);
    for (const [n, batch] of [[150, 'auto'], [2000, 'auto'], [2000, 1]] as const) {
      const setting: BatchSizeSetting = batch === 'auto' ? { kind: 'auto' } : { kind: 'fixed', frames: batch };
      const k = batch === 'auto' ? Math.min(256, Math.max(1, Math.ceil(n / C))) : batch;
      const ideal = Math.ceil(n / (C * k)) * L + overhead;
      const serverCpu = (await server.stats()).processCpuMs;
      const run = await fanOut(server.url, n, C, setting);
      const serverMs = (await server.stats()).processCpuMs - serverCpu;
      const ratio = run.ms / ideal;
      console.log(`  N=${n} batch ${batch} (K=${k}): ${run.ms.toFixed(0)} ms, ideal ${ideal.toFixed(0)} ms, ratio ${ratio.toFixed(2)} ${ratio <= 1.15 ? '(ok ≤ 1.15)' : '(over 1.15)'}; ${run.ok}/${n} ok, ${run.invocations} invocations, ${run.throttles} throttled, first result at ${run.firstResultMs.toFixed(0)} ms`);
      // The client is one JS thread: its CPU is a floor of its own that the ideal leaves out (large on a loaded machine).
      const floor = Math.max(ideal, run.cpuMs);
      console.log(`    CPU: client ${run.cpuMs.toFixed(0)} ms (${(run.cpuMs / run.invocations).toFixed(2)} ms/invocation), endpoint ${serverMs.toFixed(0)} ms; measured / max(ideal, client CPU) = ${(run.ms / floor).toFixed(2)}`);
    }
  } finally {
    server.stop();
  }
}

async function parallelism(): Promise<void> {
  // The service time is long enough that issuing N requests (a few ms of client CPU each, more on a loaded machine) fits inside it.
  console.log('requested vs achieved parallelism (server-side peak in flight; L = max(4 s, N × 8 ms), no cap, batch 1, N frames)');
  for (const requested of [50, 150, 500, 1000]) {
    const L = Math.max(4000, requested * 8);
    const open = await endpoint({ serviceMs: L });
    try {
      const run = await fanOut(open.url, requested, requested, { kind: 'fixed', frames: 1 });
      const stats = await open.stats();
      console.log(`  requested ${requested}: achieved ${stats.maxInFlight} (${(stats.maxInFlight / requested).toFixed(2)}×); ${requested} frames in ${run.ms.toFixed(0)} ms (one wave: ${L} ms + ramp-up)`);
    } finally {
      open.stop();
    }
  }
}

async function clientCost(): Promise<void> {
  console.log('client cost for 2,000 frames (batch 1, concurrency 150, L = 50 ms)');
  const cheap = await endpoint({ serviceMs: 50 });
  try {
    const cpuBefore = process.cpuUsage();
    const run = await fanOut(cheap.url, 2000, 150, { kind: 'fixed', frames: 1 });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const peakMb = process.resourceUsage().maxRSS / 1024;
    console.log(`  ${run.invocations} invocations in ${run.ms.toFixed(0)} ms: client CPU ${(cpuMs / run.invocations).toFixed(2)} ms per invocation; peak RSS ${peakMb.toFixed(0)} MB ${peakMb <= 300 ? '(ok ≤ 300)' : '(over 300)'}`);
  } finally {
    cheap.stop();
  }
}

if (process.argv[2] === '--serve') {
  // Child: the endpoint, configured by a JSON argument; prints its URL and runs until killed.
  const options = JSON.parse(process.argv[3]!) as { capacity?: number; serviceMs: number };
  const model = await bundledModelIdentity(modelDir);
  const server = await startFakeInvokeServer({ handler: framescoreHandler(cannedClassifier(model, SCORES)), ...options });
  console.log(server.endpoint);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
} else {
  await main();
}

/**
 * The fan-out pool in-process against the fault-injecting Invoke API server
 * (a real HTTP server on 127.0.0.1), with pre-made frames so the tests are
 * about invocations, not ffmpeg.
 */
import { CONTRACT_VERSION } from '../../src/core/contract.js';
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ModelIdentity } from '../../src/core/model-manifest.js';
import type { FrameResult, SampledFrame } from '../../src/core/results.js';
import { createLambdaClient, type LambdaConnection } from '../../src/run/fleet/client.js';
import { FanoutPool, type FanoutOptions } from '../../src/run/fleet/fanout.js';
import { FleetSession } from '../../src/run/fleet/session.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeOptions, type FakeInvokeServer } from '../helpers/fake-invoke-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCORES = { Drawing: 0.05, Hentai: 0.05, Neutral: 0.8, Porn: 0.05, Sexy: 0.05 };
const env = {};
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let model: ModelIdentity;
const servers: FakeInvokeServer[] = [];
const connections: LambdaConnection[] = [];

before(async () => {
  model = await bundledModelIdentity(path.join(repoRoot, 'models', 'nsfw-mobilenet-v2'));
});
after(async () => {
  for (const connection of connections) connection.close();
  await Promise.all(servers.map((server) => server.stop()));
});

async function* frames(count: number, options: { bytes?: number; delayMs?: number; pulled?: { count: number } } = {}): AsyncGenerator<SampledFrame> {
  for (let index = 0; index < count; index += 1) {
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (options.pulled) options.pulled.count += 1;
    yield { index, requestedTime: index / 2, actualTime: index / 2, status: 'sampled', image: new Uint8Array(options.bytes ?? 3000).fill(index % 251) };
  }
}

async function run(
  server: Partial<FakeInvokeOptions>, pool: Partial<FanoutOptions>, input: AsyncIterable<SampledFrame>, expected = 0,
): Promise<{ results: FrameResult[]; server: FakeInvokeServer; pool: FanoutPool; session: FleetSession }> {
  const fake = await startFakeInvokeServer({ handler: framescoreHandler(cannedClassifier(model, SCORES)), ...server });
  servers.push(fake);
  const target = { functionName: 'frame-classifier' };
  const timeoutMs = pool.timeoutMs ?? 5000;
  const connection = createLambdaClient(target, { endpointUrl: fake.endpoint, env, credentials, maxSockets: (pool.concurrency ?? 20) + 8, timeoutMs });
  connections.push(connection);
  const fanout = new FanoutPool({
    client: connection.client, target, concurrency: 20, batchSize: { kind: 'fixed', frames: 1 }, maxAttempts: 8, timeoutMs,
    prices: { architecture: 'arm64', perGbSecond: 0.0000133334, perRequest: 0.0000002 }, signal: new AbortController().signal,
    backoff: { baseMs: 20, capMs: 400 }, expectedModelSha256: model.sha256, ...pool,
  });
  const session = new FleetSession(fanout, expected);
  const results: FrameResult[] = [];
  for await (const result of session.score(input)) results.push(result);
  fanout.close();
  return { results, server: fake, pool: fanout, session };
}

function indices(results: readonly FrameResult[]): number[] {
  return results.map((result) => result.index).sort((a, b) => a - b);
}

test('throttling at a cap of 6, 5xx, resets, crashed environments, malformed JSON and slow replies: no frame lost', async () => {
  let n = 0;
  const { results, server, session } = await run({
    capacity: 6,
    serviceMs: 15,
    faults: () => {
      n += 1;
      // A fixed cycle rather than random draws, so every kind of fault happens in every run.
      switch (n % 11) {
        case 1: return { kind: 'service', status: 503 };
        case 3: return { kind: 'reset' };
        case 5: return { kind: 'exit' };
        case 7: return { kind: 'malformed' };
        case 9: return n < 60 ? { kind: 'slow', delayMs: 1500 } : undefined;
        default: return undefined;
      }
    },
  // Throttles count as attempts: with a cap of 6 and 30 requested, a frame can meet a long run of
  // throttles and faults by chance, so the budget here is larger than the default.
  }, { concurrency: 30, timeoutMs: 700, maxAttempts: 20 }, frames(120));
  assert.deepEqual(indices(results), Array.from({ length: 120 }, (_, i) => i), 'every frame comes back exactly once');
  assert.ok(results.every((result) => result.status === 'ok'), JSON.stringify(results.find((result) => result.status === 'failed')));
  assert.ok(results.some((result) => (result.attempts ?? 1) > 1), 'some frames needed retries');
  for (const kind of ['service', 'reset', 'exit', 'malformed', 'slow']) assert.ok((server.stats.faults[kind] ?? 0) > 0, `${kind} was injected`);
  const facts = session.facts(1000);
  assert.ok(server.stats.throttled > 0 && facts.throttles > 0, 'the cap was hit and seen');
  assert.ok(facts.retries >= server.stats.throttled, `${facts.retries} retries`);
  assert.ok(server.stats.maxInFlight <= 6);
});

test('adaptive concurrency settles near a cap of 8 when 60 are requested', async (t) => {
  const { results, server, pool, session } = await run({ capacity: 8, serviceMs: 150 }, { concurrency: 60 }, frames(160));
  assert.equal(results.filter((result) => result.status === 'ok').length, 160);
  const { limit, minLimit, decreases } = pool.aimd.stats();
  assert.ok(decreases >= 2, `${decreases} decreases`);
  // 150 ms per invocation leaves even a starved client time to fill 8 slots, so the cap, not the client, limits it.
  assert.ok(limit >= 4 && limit <= 16, `limit ${limit} should settle near the cap of 8`);
  assert.ok(minLimit >= 3, `never collapsed (min ${minLimit})`);
  // Throttles are a small share of requests once settled, not one per frame.
  assert.ok(server.stats.throttled < 200, `${server.stats.throttled} throttled of ${server.stats.requests} requests`);
  const facts = session.facts(1);
  assert.ok(facts.peakConcurrency <= 60, `peak ${facts.peakConcurrency}`);
  t.diagnostic(`cap 8, requested 60: limit ${limit}, min ${minLimit}, ${decreases} decreases, ${server.stats.throttled} throttled of ${server.stats.requests}`);
});

test('permanent failures keep their cause and attempts: rejected images, handler bugs, exhausted retries', async () => {
  const handler = framescoreHandler(cannedClassifier(model, SCORES));
  const { results } = await run({
    handler: async (event, context) => {
      const frame = (event as { frames?: Array<{ id: string }> }).frames?.[0];
      if (frame?.id === '3') return { payload: { v: CONTRACT_VERSION, model, results: [{ id: '3', status: 'failed', code: 'INVALID_IMAGE', message: 'image is not a JPEG or PNG' }], timing: { coldStart: false, initMs: 0, inferMs: 1 } } };
      if (frame?.id === '5') return { payload: { errorType: 'TypeError', errorMessage: "Cannot read properties of undefined (reading 'shape')" }, functionError: 'Unhandled' };
      if (frame?.id === '7') return { payload: { errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited with error: signal: killed' }, functionError: 'Unhandled' };
      if (frame?.id === '9') return { payload: { v: CONTRACT_VERSION, model: { ...model, sha256: 'f'.repeat(64) }, results: [{ id: '9', status: 'ok', scores: SCORES, top: { label: 'Neutral', score: 0.8 } }], timing: { coldStart: false, initMs: 0, inferMs: 1 } } };
      return handler(event, context);
    },
  }, { maxAttempts: 3 }, frames(12));
  const byIndex = new Map(results.map((result) => [result.index, result]));
  assert.equal(results.length, 12);
  const invalid = byIndex.get(3)!;
  assert.ok(invalid.status === 'failed' && invalid.code === 'INVALID_IMAGE' && invalid.attempts === 1);
  const bug = byIndex.get(5)!;
  assert.ok(bug.status === 'failed' && bug.code === 'FunctionError.TypeError' && bug.message.includes("reading 'shape'") && bug.attempts === 1, JSON.stringify(bug));
  const crashed = byIndex.get(7)!;
  assert.ok(crashed.status === 'failed' && crashed.code === 'FunctionError.Runtime.ExitError' && crashed.attempts === 3 && /gave up after 3 attempts/.test(crashed.message), JSON.stringify(crashed));
  const wrongModel = byIndex.get(9)!;
  assert.ok(wrongModel.status === 'failed' && wrongModel.code === 'MODEL_MISMATCH', JSON.stringify(wrongModel));
  assert.equal(results.filter((result) => result.status === 'ok').length, 8);
});

test('batches never exceed the request limit, and auto batching fills one wave', async () => {
  const sizes: number[] = [];
  const handler = framescoreHandler(cannedClassifier(model, SCORES));
  const limit = 200_000;
  const { results } = await run({
    handler: (event, context) => {
      sizes.push(Buffer.byteLength(JSON.stringify(event)));
      return handler(event, context);
    },
  }, { batchSize: { kind: 'auto' }, concurrency: 4, maxRequestBytes: limit }, frames(60, { bytes: 40_000 }), 60);
  assert.equal(results.length, 60);
  // auto: ceil(60 / 4) = 15 per invocation, but 15 × 53 KB of base64 is over 200 KB, so the batcher cuts at 3.
  assert.ok(sizes.every((size) => size <= limit), `largest request ${Math.max(...sizes)} bytes`);
  assert.equal(sizes.length, 20);

  const { server } = await run({}, { batchSize: { kind: 'auto' }, concurrency: 10 }, frames(95), 95);
  assert.equal(server.stats.invocations, 10, 'ceil(95 / 10) = 10 frames per invocation, 10 invocations');
});

test('frames stream in: the first invocation starts long before the input ends, and reading waits for room', async () => {
  const pulled = { count: 0 };
  let pulledAtFirstInvocation = -1;
  const handler = framescoreHandler(cannedClassifier(model, SCORES));
  const { results } = await run({
    serviceMs: 150,
    handler: (event, context) => {
      if (pulledAtFirstInvocation < 0) pulledAtFirstInvocation = pulled.count;
      return handler(event, context);
    },
  }, { concurrency: 4 }, frames(24, { pulled }));
  assert.equal(results.length, 24);
  assert.ok(pulledAtFirstInvocation >= 1 && pulledAtFirstInvocation <= 12, `first invocation after ${pulledAtFirstInvocation} frames were read`);

  // With 4 in flight and room for ceil(4 × 1.5) + 2 = 8 batches, the reader never runs far ahead of the results.
  const slow = { count: 0 };
  const fake = await startFakeInvokeServer({ handler, serviceMs: 100 });
  servers.push(fake);
  const target = { functionName: 'f' };
  const connection = createLambdaClient(target, { endpointUrl: fake.endpoint, env, credentials, maxSockets: 12, timeoutMs: 5000 });
  connections.push(connection);
  const pool = new FanoutPool({
    client: connection.client, target, concurrency: 4, batchSize: { kind: 'fixed', frames: 1 }, maxAttempts: 3, timeoutMs: 5000,
    prices: { architecture: 'arm64', perGbSecond: 1, perRequest: 0 }, signal: new AbortController().signal,
  });
  let done = 0;
  let worstLead = 0;
  for await (const result of new FleetSession(pool, 0).score(frames(30, { pulled: slow }))) {
    assert.equal(result.status, 'ok');
    done += 1;
    worstLead = Math.max(worstLead, slow.count - done);
  }
  pool.close();
  assert.ok(worstLead <= 10, `reader ran ${worstLead} frames ahead of results`);
});

test('REPORT lines with and without Init Duration become cold starts, billed GB-seconds and a cost', async () => {
  const { session } = await run({ serviceMs: 30, memoryMb: 1024, initMs: 400 }, { concurrency: 5 }, frames(20));
  const facts = session.facts(1000);
  assert.equal(facts.invocations, 20);
  assert.equal(facts.billed.reported, 20);
  assert.ok(facts.coldStarts >= 1 && facts.coldStarts <= 5, `${facts.coldStarts} cold starts`);
  assert.equal(facts.initMs.max, 400);
  assert.ok(Math.abs(facts.billed.initGbSeconds - facts.coldStarts * 0.4) < 1e-3, `init GB-s ${facts.billed.initGbSeconds}`);
  assert.ok(facts.cost.usd !== null && facts.cost.usd > 0);
  assert.ok(facts.latencyMs.p50 !== null && facts.latencyMs.p95! >= facts.latencyMs.p50 && facts.latencyMs.max! >= facts.latencyMs.p95!);

  const untailed = await run({ tailLogs: false }, { concurrency: 5 }, frames(5));
  const noReport = untailed.session.facts(1000);
  assert.equal(noReport.billed.reported, 0);
  assert.equal(noReport.cost.usd, null);
  assert.match(noReport.cost.note ?? '', /no REPORT lines/);
});

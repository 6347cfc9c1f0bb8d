/**
 * framescore smoke against functions that are broken in the ways a deploy goes
 * wrong: wrong scores, another model, errors, too slow, missing. The functions
 * are the fault-injecting Invoke API server (a real HTTP server on 127.0.0.1).
 */
import { CONTRACT_VERSION } from '../../src/core/contract.js';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ModelIdentity } from '../../src/core/model-manifest.js';
import type { SmokeResult } from '../../src/cli/smoke/result.js';
import { signedHeaders } from '../../src/cli/smoke/sign-request.js';
import { bundledModelIdentity, framescoreHandler, startFakeInvokeServer, type FakeInvokeOptions, type FakeInvokeServer } from '../helpers/fake-invoke-server.js';
import { tempDir } from '../report/cli.js';
import { checkLines, fixtureClassifier, readExpected, repoRoot, smoke } from './support.js';
import { listenOnLoopback } from '../helpers/loopback.js';

const FUNCTION = 'framescore-prod-classify';
let dir: string;
let model: ModelIdentity;
let expected: Awaited<ReturnType<typeof readExpected>>;
const servers: Array<{ stop(): Promise<void> }> = [];

before(async () => {
  dir = await tempDir('smoke-faults');
  expected = await readExpected();
  model = await bundledModelIdentity(path.join(repoRoot, 'models', 'nsfw-mobilenet-v2'));
});

after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fakeFunction(options: Omit<FakeInvokeOptions, 'handler'> & { handler?: FakeInvokeOptions['handler'] } = {}): Promise<FakeInvokeServer> {
  const server = await startFakeInvokeServer({ functions: [FUNCTION], handler: framescoreHandler(fixtureClassifier(expected, model)), ...options });
  servers.push(server);
  return server;
}

test('the fake function that answers like the real one passes (so the failures below are the faults)', async () => {
  assert.equal(model.sha256, expected.model.sha256, 'fixtures were made with the bundled model');
  const server = await fakeFunction();
  const run = await smoke(['--function', FUNCTION, '--qualifier', 'live', '--endpoint-url', server.endpoint]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^framescore smoke: framescore-prod-classify:live at http:\/\/127\.0\.0\.1:\d+$/m);
  assert.equal(server.stats.invocations, 4, 'one batch, then three warm invocations');
});

test('wrong scores: exit 1 with the frame, label, expected and returned score; JUnit carries the diff', async () => {
  const shifted = fixtureClassifier(expected, model, (scores) => ({ ...scores, Drawing: scores.Drawing! + 0.2, Neutral: scores.Neutral! - 0.2 }));
  const server = await fakeFunction({ handler: framescoreHandler(shifted) });
  const junit = path.join(dir, 'wrong-scores.xml');
  const [run, loose] = await Promise.all([
    smoke(['--function', FUNCTION, '--endpoint-url', server.endpoint, '--junit', junit]),
    smoke(['--function', FUNCTION, '--endpoint-url', server.endpoint, '--tolerance', '0.25']),
  ]);
  assert.equal(loose.code, 0, 'a looser tolerance accepts the same answers');
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.deepEqual(checkLines(run.stdout), ['PASS invoke', 'PASS model', 'FAIL scores', 'PASS warm-latency']);
  assert.match(run.stdout, /4 of 4 frames differ from the expected scores by more than 0\.0001/);
  const testsrc = expected.frames.find((frame) => frame.id === 'testsrc2')!.scores.Drawing!;
  assert.ok(run.stdout.includes(`testsrc2: Drawing expected ${testsrc.toFixed(6)}, got ${(testsrc + 0.2).toFixed(6)} (off by 0.200000, tolerance 0.0001)`), run.stdout);
  assert.match(run.stdout, /^FAILED: 3 passed, 1 failed/m);
  const xml = await readFile(junit, 'utf8');
  assert.match(xml, /failures="1"/);
  assert.match(xml, /<testcase classname="framescore.smoke" name="scores" time="[\d.]+">\s*<failure message="4 of 4 frames differ[^"]*" type="SmokeCheckFailed">[^<]*testsrc2: Drawing expected/);
});

test('another model: exit 1 naming both sha256s', async () => {
  const other = { ...model, name: 'nsfw-inception-v3', version: 'nsfwjs-4.3.0', sha256: 'f'.repeat(64) };
  const server = await fakeFunction({ handler: framescoreHandler(fixtureClassifier(expected, other)) });
  const run = await smoke(['--function', FUNCTION, '--endpoint-url', server.endpoint, '--json']);
  assert.equal(run.code, 1);
  const result = JSON.parse(run.stdout) as SmokeResult;
  const modelCheck = result.checks.find((check) => check.name === 'model')!;
  assert.equal(modelCheck.status, 'fail');
  assert.deepEqual(modelCheck.details, [`sha256: expected ${expected.model.sha256} (nsfw-mobilenet-v2 nsfwjs-4.3.0), got ${'f'.repeat(64)} (nsfw-inception-v3 nsfwjs-4.3.0)`]);
  assert.equal(result.passed, false);
});

test('a function that errors: exit 1 with its error; the checks that need an answer are skipped', async () => {
  const server = await fakeFunction({ handler: () => ({ payload: { errorType: 'Error', errorMessage: 'Cannot find module index' }, functionError: 'Unhandled' }) });
  const unavailable = await fakeFunction({ handler: () => ({ payload: { v: CONTRACT_VERSION, error: { code: 'MODEL_UNAVAILABLE', message: 'model s3://models/x failed its sha256 check' } } }) });
  const [run, second, missing] = await Promise.all([
    smoke(['--function', FUNCTION, '--endpoint-url', server.endpoint]),
    smoke(['--function', FUNCTION, '--endpoint-url', unavailable.endpoint]),
    smoke(['--function', 'no-such-function', '--endpoint-url', server.endpoint]),
  ]);
  assert.equal(run.code, 1);
  assert.deepEqual(checkLines(run.stdout), ['FAIL invoke', 'SKIP model', 'SKIP scores', 'SKIP warm-latency']);
  assert.match(run.stdout, /FAIL\s+invoke\s+the function failed \(FunctionError Unhandled\): Error: Cannot find module index/);
  assert.equal(second.code, 1);
  assert.match(second.stdout, /the function answered MODEL_UNAVAILABLE: model s3:\/\/models\/x failed its sha256 check/);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /FAIL\s+invoke\s.*ResourceNotFoundException: Function not found/);
});

test('too slow: exit 1 with the measured median and the limit', async () => {
  const server = await fakeFunction({ serviceMs: 400 });
  const run = await smoke(['--function', FUNCTION, '--endpoint-url', server.endpoint, '--max-latency-ms', '150', '--json']);
  assert.equal(run.code, 1);
  const latency = (JSON.parse(run.stdout) as SmokeResult).checks.find((check) => check.name === 'warm-latency')!;
  assert.equal(latency.status, 'fail');
  assert.match(latency.summary, /^too slow: median \d+ ms over 3 warm invocations \(\d+, \d+, \d+ ms\); the limit is 150 ms$/);
  assert.ok((latency.facts.medianMs as number) >= 400);
});

test('the Function URL request is SigV4-signed for IAM auth; an error answer fails its check with the status and the error', async () => {
  const server = await fakeFunction();
  const seen: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
  const http: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error: out of memory' } }));
    });
  });
  const port = await listenOnLoopback(http);
  servers.push({ stop: () => new Promise<void>((resolve) => http.close(() => resolve())) });
  const url = `http://127.0.0.1:${port}/`;
  const run = await smoke(['--function', FUNCTION, '--endpoint-url', server.endpoint, '--url', url]);
  assert.equal(run.code, 1);
  assert.ok(run.stdout.includes(`FAIL  function-url  POST ${url} answered HTTP 502: INTERNAL: internal error: out of memory`), run.stdout);

  // The signature is the one SigV4 gives for these credentials, this body and this time: recompute it.
  const [request] = seen;
  assert.ok(request !== undefined);
  const authorization = String(request.headers.authorization);
  assert.match(authorization, /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
  const amzDate = String(request.headers['x-amz-date']);
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const expected = await signedHeaders(new URL(url), request.body, { 'content-type': 'application/json', accept: 'application/json' }, { accessKeyId: 'local', secretAccessKey: 'local' }, 'us-east-1', signingDate);
  assert.equal(authorization, expected.authorization);
  assert.deepEqual(Object.keys(JSON.parse(request.body) as object), ['image']);
});

test('usage errors exit 2 with one line naming the option', async () => {
  const cases = [
    [['--function', FUNCTION, '--max-latency-ms', 'soon'], /--max-latency-ms "soon" must be a whole number/],
    [['--function', FUNCTION, '--url', 'ftp://example.test/'], /--url "ftp:\/\/example.test\/" must be an http:\/\/ or https:\/\/ URL/],
    [[], /--function/],
  ] as const;
  const runs = await Promise.all(cases.map(([args]) => smoke(args)));
  for (const [i, [args, message]] of cases.entries()) {
    const run = runs[i]!;
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  }
});

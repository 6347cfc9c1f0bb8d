/**
 * The client's per-invocation timeout follows the function's configured one
 * (GetFunctionConfiguration + 5 s), unless --invoke-timeout is given; a denied or
 * unsupported GetFunctionConfiguration falls back to 30 s with a --verbose note.
 * A fake Lambda endpoint answers GetFunctionConfiguration and passes the Invoke API
 * on to the fake function, whose batches never answer: the frame's failure message
 * says how long the client waited, so no test measures the clock.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Report } from '../../src/core/report.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeServer } from '../helpers/fake-invoke-server.js';
import { ensureSampleVideo, modelDir, runCli, sampleVideo, tempDir } from './run-cli.js';

const SCORES = { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.05, Sexy: 0.1 };
const CONFIG_PATH = /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/;

let fake: FakeInvokeServer;
let work: string;
const fronts: Server[] = [];
/** While set, batches are held until the test ends: only the client's timeout ends them. */
let holdBatches = true;
const held: Array<() => void> = [];

before(async () => {
  await ensureSampleVideo();
  const model = await bundledModelIdentity(modelDir);
  const score = framescoreHandler(cannedClassifier(model, SCORES));
  work = await tempDir('invoke-timeout');
  fake = await startFakeInvokeServer({
    functions: ['frame-classifier'],
    handler: async (event, context) => {
      if (holdBatches && typeof event === 'object' && event !== null && 'frames' in event) await new Promise<void>((resolve) => held.push(resolve));
      return score(event, context);
    },
  });
});

after(async () => {
  for (const release of held) release();
  await Promise.all(fronts.map((front) => new Promise((resolve) => front.close(resolve))));
  await fake.stop();
  await rm(work, { recursive: true, force: true });
});

type ConfigAnswer = { status: number; body: unknown; errorType?: string };

/** The Lambda API: GetFunctionConfiguration answered as `config` says (counted), everything else passed to the fake function. */
async function lambdaEndpoint(config: () => ConfigAnswer): Promise<{ endpoint: string; configRequests: () => string[] }> {
  const asked: string[] = [];
  const front = createServer((req, res) => {
    const match = CONFIG_PATH.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method === 'GET' && match !== null) {
      asked.push(decodeURIComponent(match[1]!));
      const answer = config();
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.errorType === undefined ? {} : { 'x-amzn-errortype': answer.errorType }) });
      res.end(JSON.stringify(answer.body));
      return;
    }
    const target = new URL(fake.endpoint);
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  fronts.push(front);
  return { endpoint: `http://127.0.0.1:${(front.address() as AddressInfo).port}`, configRequests: () => asked };
}

async function classifyOne(endpoint: string, name: string, extra: readonly string[] = []): Promise<{ code: number | null; stderr: string; report: Report }> {
  const out = path.join(work, name);
  const run = await runCli(['classify', sampleVideo, '--function', 'frame-classifier', '--frames', '1', '--max-attempts', '1', '--out', out, '-v', ...extra], {
    env: { AWS_ENDPOINT_URL_LAMBDA: endpoint },
  });
  return { ...run, report: JSON.parse(await readFile(`${out}.json`, 'utf8')) as Report };
}

function onlyFailure(report: Report): { code: string; message: string } {
  assert.equal(report.frames.length, 1);
  const frame = report.frames[0]!;
  assert.equal(frame.status, 'failed');
  return frame as { code: string; message: string };
}

test('the client waits the function\'s configured timeout + 5 s (GetFunctionConfiguration, read once)', async () => {
  const lambda = await lambdaEndpoint(() => ({ status: 200, body: { FunctionName: 'frame-classifier', Timeout: 2, MemorySize: 2048 } }));
  const run = await classifyOne(lambda.endpoint, 'follows');
  assert.equal(run.code, 3, run.stderr);
  assert.deepEqual(lambda.configRequests(), ['frame-classifier']);
  assert.match(run.stderr, /invoke timeout 7 s: the function's timeout \(2 s\) \+ 5 s/);
  const failure = onlyFailure(run.report);
  assert.equal(failure.code, 'CLIENT_TIMEOUT');
  assert.match(failure.message, /no response within 7000 ms/);
});

test('--invoke-timeout wins over the function\'s timeout, and the configuration is not read', async () => {
  const lambda = await lambdaEndpoint(() => ({ status: 200, body: { FunctionName: 'frame-classifier', Timeout: 600 } }));
  const run = await classifyOne(lambda.endpoint, 'flag', ['--invoke-timeout', '3']);
  assert.equal(run.code, 3, run.stderr);
  assert.deepEqual(lambda.configRequests(), []);
  assert.match(onlyFailure(run.report).message, /no response within 3000 ms/);
});

test('a denied GetFunctionConfiguration falls back to 30 s with a --verbose note', async () => {
  const lambda = await lambdaEndpoint(() => ({
    status: 403, errorType: 'AccessDeniedException',
    body: { Type: 'User', message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: lambda:GetFunctionConfiguration' },
  }));
  // The fallback is seen in the note, and the run goes on; the batch answers at once here (a held one would take the whole 30 s).
  holdBatches = false;
  const run = await runCli(['classify', sampleVideo, '--function', 'frame-classifier', '--frames', '1', '--out', path.join(work, 'denied'), '-v'], {
    env: { AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(lambda.configRequests(), ['frame-classifier']);
  assert.match(run.stderr, /invoke timeout 30 s \(the default; lambda:GetFunctionConfiguration is denied; --invoke-timeout sets it\)/);
});

/**
 * framescore smoke against the packaged handler running under serverless-offline
 * (a real Invoke API and HTTP API on 127.0.0.1): everything passes.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SmokeResult } from '../../src/cli/smoke/result.js';
import type { OfflineServer } from '../helpers/serverless-offline.js';
import { startPackagedOffline, type PackagedOffline } from '../lambda/fixtures.js';
import { tempDir } from '../report/cli.js';
import { checkLines, smoke } from './support.js';

const FUNCTION_NAME = 'framescore-dev-classify';
// Not the emulator's default ports, so this file does not collide with the Lambda tests.
const LAMBDA_PORT = 3012;
const HTTP_PORT = 3013;
let offline: PackagedOffline | undefined;
let server: OfflineServer | undefined;
let dir: string;

before(async () => {
  dir = await tempDir('smoke-offline');
  offline = await startPackagedOffline({ lambdaPort: LAMBDA_PORT, httpPort: HTTP_PORT });
  server = offline.server;
});

after(async () => {
  await offline?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('every check passes against the packaged handler, and the JUnit file says so', async () => {
  const junit = path.join(dir, 'smoke.xml');
  const run = await smoke([
    '--function', FUNCTION_NAME, '--endpoint-url', server!.lambdaEndpoint, '--url', `${server!.httpEndpoint}/classify`, '--junit', junit,
  ]);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\n${server!.output().slice(-1500)}`);
  assert.deepEqual(checkLines(run.stdout), ['PASS invoke', 'PASS model', 'PASS scores', 'PASS warm-latency', 'PASS function-url']);
  assert.match(run.stdout, /^passed: 5 passed, 0 failed/m);
  assert.match(run.stderr, /wrote .*smoke\.xml/);
  const xml = await readFile(junit, 'utf8');
  assert.match(xml, /<testsuites name="framescore smoke" tests="5" failures="0" skipped="0"/);
  assert.equal(xml.match(/<testcase /g)?.length, 5);
  assert.doesNotMatch(xml, /<failure/);
});

test('--json reports the same checks with their measurements; a second run finds the environment warm', async () => {
  const run = await smoke(['--function', FUNCTION_NAME, '--endpoint-url', server!.lambdaEndpoint, '--json']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const result = JSON.parse(run.stdout) as SmokeResult;
  assert.equal(result.passed, true);
  assert.deepEqual(result.checks.map((check) => [check.name, check.status]), [['invoke', 'pass'], ['model', 'pass'], ['scores', 'pass'], ['warm-latency', 'pass']]);
  const invoke = result.checks[0]!;
  assert.equal(invoke.facts.frames, 4);
  assert.equal(invoke.facts.coldStart, false, 'the first run warmed the environment');
  assert.equal(typeof invoke.facts.latencyMs, 'number');
  const latency = result.checks[3]!;
  assert.equal((latency.facts.latenciesMs as number[]).length, 3);
  assert.ok((result.checks[2]!.facts.largestDifference as number) <= 1e-4);
});

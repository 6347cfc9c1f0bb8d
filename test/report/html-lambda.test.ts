/**
 * classify --function --html: a Lambda run's facts (invocations, retries,
 * throttles, cost) and per-frame attempts reach the HTML report. The function
 * is the fault-injecting Invoke API server with canned scores; one throttle is injected.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Report } from '../../src/core/report.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer, type FakeInvokeServer } from '../helpers/fake-invoke-server.js';
import { runFfmpeg } from '../helpers/ffmpeg.js';
import { repoRoot, runCli, tempDir } from './cli.js';

let dir: string;
let server: FakeInvokeServer | undefined;

before(async () => {
  dir = await tempDir('html-lambda');
  const model = await bundledModelIdentity(path.join(repoRoot, 'models', 'nsfw-mobilenet-v2'));
  server = await startFakeInvokeServer({
    handler: framescoreHandler(cannedClassifier(model, { Drawing: 0.1, Hentai: 0.05, Neutral: 0.7, Porn: 0.1, Sexy: 0.05 })),
    faults: (context) => (context.invocation === 2 ? { kind: 'throttle' } : undefined),
  });
});

after(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a Lambda run shows its invocation facts in their own box and each frame\'s attempts in the details data', async () => {
  const video = path.join(dir, 'clip.mp4');
  await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-pix_fmt', 'yuv420p', video]);
  const html = path.join(dir, 'clip.html');
  const run = await runCli(
    ['classify', video, '--function', 'framescore-classify', '--endpoint-url', server!.endpoint, '--frames', '6', '--batch-size', '2', '--format', 'json', '--out', path.join(dir, 'clip'), '--html', html],
    { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' },
  );
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(await readFile(path.join(dir, 'clip.json'), 'utf8')) as Report;
  const lambda = report.run.lambda as { retries: number; throttles: number; invocations: number };
  assert.equal(lambda.throttles, 1);
  const page = await readFile(html, 'utf8');
  assert.match(page, /<section class="facts group" id="facts-lambda"><h3>Lambda<\/h3>/);
  for (const [name, value] of [['invocations', lambda.invocations], ['retries', lambda.retries], ['throttles', 1]] as const) {
    assert.ok(page.includes(`<dt>${name}</dt><dd>${value}</dd>`), `${name} ${value}`);
  }
  const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(page)![1]!) as { frames: Array<{ n?: string; th?: string }> };
  assert.equal(data.frames.length, 6);
  assert.ok(data.frames.every((frame) => /^\d attempts?, \d+ ms/.test(frame.n ?? '') && frame.th?.startsWith('data:image/jpeg;base64,')));
  assert.ok(data.frames.some((frame) => frame.n?.startsWith('2 attempts')), 'the throttled batch was retried');
});

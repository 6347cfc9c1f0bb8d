/**
 * A consumer that stops reading a fleet session's results early (a `break`, an error in
 * its loop): the session stops pulling frames and invoking, and the sampler it read from
 * ends, closing the video file it held open (an abandoned sampler's file handle was
 * otherwise closed only on garbage collection, with Node's warning). The real sampler
 * on a real file, scored by the fault-injecting Invoke API server (a real HTTP server).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SampledFrame } from '../../src/core/results.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { probeMedia } from '../../src/media/probe.js';
import { sampleFrames } from '../../src/media/sampling/sampler.js';
import { createLambdaClient } from '../../src/run/fleet/client.js';
import { FanoutPool } from '../../src/run/fleet/fanout.js';
import { FleetSession } from '../../src/run/fleet/session.js';
import { bundledModelIdentity, cannedClassifier, framescoreHandler, startFakeInvokeServer } from '../helpers/fake-invoke-server.js';
import { fixture } from '../helpers/videos.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCORES = { Drawing: 0.05, Hentai: 0.05, Neutral: 0.8, Porn: 0.05, Sexy: 0.05 };
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('a consumer that stops after the first result: the session stops reading frames, and the sampler has closed its file when the loop is left', async () => {
  const model = await bundledModelIdentity(path.join(repoRoot, 'models', 'nsfw-mobilenet-v2'));
  const server = await startFakeInvokeServer({ handler: framescoreHandler(cannedClassifier(model, SCORES)) });
  cleanups.push(() => server.stop());
  const target = { functionName: 'frame-classifier' };
  const connection = createLambdaClient(target, { endpointUrl: server.endpoint, env: {}, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxSockets: 8, timeoutMs: 30_000 });
  cleanups.push(() => connection.close());
  const pool = new FanoutPool({
    client: connection.client, target, concurrency: 2, batchSize: { kind: 'fixed', frames: 1 }, maxAttempts: 3, timeoutMs: 30_000,
    prices: { architecture: 'arm64', perGbSecond: 0.0000133334, perRequest: 0.0000002 }, signal: new AbortController().signal,
    backoff: { baseMs: 20, capMs: 400 }, expectedModelSha256: model.sha256,
  });
  cleanups.push(() => pool.close());

  const { ffmpeg, ffprobe } = resolveBinaries();
  const file = await fixture('h264.mp4');
  const media = await probeMedia(ffprobe, file, file);
  const count = 60;
  const plan = Array.from({ length: count }, (_, index) => ({ index, requestedTime: (index * media.duration) / count }));
  const notes: string[] = [];
  // The indexed sampler holds the file open (a FileHandle) until its generator ends.
  const sampled = sampleFrames(plan, {
    ffmpeg, input: file, width: 224, height: 224, fit: 'crop', keyframes: false, startTime: media.startTime,
    stillImage: false, timeoutMs: 30_000, concurrency: 1, method: 'indexed', rotation: media.rotation, onNote: (note) => notes.push(note),
  });
  let pulled = 0;
  let ended = false;
  async function* tracked(): AsyncGenerator<SampledFrame> {
    try {
      for await (const frame of sampled) {
        pulled += 1;
        yield frame;
      }
    } finally {
      ended = true;
    }
  }

  let results = 0;
  for await (const result of new FleetSession(pool, count).score(tracked())) {
    assert.equal(result.status, 'ok', JSON.stringify(result));
    results += 1;
    break;
  }
  assert.equal(results, 1);
  assert.ok(notes.some((note) => /^indexed \d+ frames/.test(note)), `the indexed sampler ran: ${notes.join(' | ')}`);
  assert.ok(ended, 'the sampler\'s generator has ended (its file closed) when the loop is left');
  assert.ok(pulled < count, `frames pulled after the consumer stopped: ${pulled} of ${count}`);
  const invoked = server.stats.invocations;
  assert.ok(invoked <= pulled, `${invoked} invocations for ${pulled} frames pulled`);
});

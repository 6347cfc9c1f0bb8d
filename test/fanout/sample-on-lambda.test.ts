/**
 * Sampling in the function fleet, end to end: the packaged function under
 * serverless-offline reads its frames' bytes from s3rver itself (ranged GETs) and
 * decodes them with ffmpeg; the CLI reads only the index (its S3 traffic counted
 * through a proxy). `--sample-on lambda` and `--sample-on local` give the same
 * frames, times and scores; refusals and faults fail only what they touch.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CONTRACT_VERSION } from '../../src/core/contract.js';
import { parseSampleResponse, SAMPLE_KIND, type SampleRequest } from '../../src/core/contract-sample.js';
import type { Report } from '../../src/core/report.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { corpusFiles } from '../helpers/corpus-media.js';
import { startCountingProxy, type CountingProxy } from '../helpers/s3-counting-proxy.js';
import { largeCopy, largeVideo, putObject, readBytes } from '../helpers/s3-fixtures.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import { fixture, type Fixture } from '../helpers/videos.js';
import { startPackagedOffline, type PackagedOffline } from '../lambda/fixtures.js';
import { runCli, tempDir } from './run-cli.js';

// Ports of their own (the other offline suites use 3002–3063 and the packaging suites theirs).
const LAMBDA_PORT = 3096;
const HTTP_PORT = 3097;
const FUNCTION = 'framescore-dev-classify';
/**
 * Two invocations in flight: serverless-offline gives each concurrent invocation a worker
 * thread of its own, each loading the model cold (seconds of CPU apiece); what these tests
 * compare (frames, times, scores, bytes read) does not depend on how many run at once.
 */
const FEW_ENVIRONMENTS = ['--concurrency', '2'];
const PREFIX = 's3://media/episodes/';

let s3: S3rverHandle;
let proxy: CountingProxy;
let offline: PackagedOffline | undefined;
const sizes = new Map<string, number>();

const VIDEOS: ReadonlyArray<[Fixture, string]> = [
  ['h264.mp4', 'episodes/bframes.mp4'],
  ['cut.mp4', 'episodes/edit-list.mp4'],
  ['rotated.mov', 'episodes/rotated.mov'],
  ['hevc.mp4', 'episodes/hevc.mp4'],
  ['h264.mkv', 'episodes/h264.mkv'],
  ['vp9.webm', 'episodes/vp9.webm'],
  ['live.webm', 'episodes/live.webm'],
  ['h264.ts', 'episodes/h264.ts'],
  ['hevc.ts', 'episodes/hevc.ts'],
  ['open-gop-hevc.ts', 'episodes/open-gop-hevc.ts'],
  ['corrupt-middle.mp4', 'episodes/corrupt.mp4'],
  ['truncated.mp4', 'episodes/truncated.mp4'],
  ['h264.mp4', 'private/outside.mp4'],
];

before(async () => {
  s3 = await startS3rver({ buckets: ['media'] });
  proxy = await startCountingProxy(s3.port);
  for (const [name, key] of VIDEOS) {
    const bytes = await readBytes(await fixture(name));
    sizes.set(key, bytes.length);
    await putObject(s3.endpoint, 'media', key, bytes);
  }
  // A phone-style VFR file whose last frame (7.16 s) is long before its duration (8.73 s): times after it get it.
  const vfr = (await corpusFiles()).find((file) => file.endsWith('vfr-gaps.mp4'))!;
  await putObject(s3.endpoint, 'media', 'episodes/vfr-early-end.mp4', await readBytes(vfr));
  const joined = (await corpusFiles()).find((file) => file.endsWith('joined-back.ts'))!;
  await putObject(s3.endpoint, 'media', 'episodes/joined.ts', await readBytes(joined));
  offline = await startPackagedOffline({
    lambdaPort: LAMBDA_PORT, httpPort: HTTP_PORT,
    env: { ...s3.env, VIDEO_URI_PREFIXES: PREFIX, FFMPEG_PATH: process.env.FRAMESCORE_TEST_LAYER_FFMPEG ?? resolveBinaries().ffmpeg },
  });
});

after(async () => {
  await offline?.stop();
  await proxy?.stop();
  await s3?.stop();
});

type OkOrFailed = Report['frames'][number];

interface FunctionSampling { functionBytesRead: number; clientBytesRead: number; framesDecoded: number; gopWalks: number; seeks: number }

/** What the report says the function did while sampling. */
function functionSampling(report: Report): FunctionSampling {
  return (report.run.lambda as { sampling: FunctionSampling }).sampling;
}

/**
 * Matroska/WebM and MPEG-TS travel as span jobs: the function reads their index itself.
 * Not a live WebM (no Cues): its only index is a walk over every block, so the client
 * reads it once and sends GOP jobs, rather than every invocation walking the whole file.
 */
const SPANNED = /^(?!.*live\.webm$).*\.(mkv|webm|ts)$/;

async function classify(key: string, sampleOn: 'lambda' | 'local' | 'auto', options: { sampling?: string[]; quiet?: boolean } = {}): Promise<{ code: number | null; stderr: string; report?: Report; clientBytes: number }> {
  proxy.reset();
  // A report file rather than stdout, so the summary line (written after the files) is on stderr too.
  const base = path.join(await tempDir('sample-on'), 'report');
  const run = await runCli([
    'classify', `s3://media/${key}`, '--function', FUNCTION, '--endpoint-url', offline!.server.lambdaEndpoint, '--s3-endpoint', proxy.endpoint,
    ...FEW_ENVIRONMENTS, '--sample-on', sampleOn, ...(options.sampling ?? ['--frames', '8']), '--format', 'json', '--out', base, options.quiet === true ? '-q' : '-v',
  ], { env: s3.env });
  const clientBytes = proxy.servedBytes();
  const text = await readFile(`${base}.json`, 'utf8').catch(() => undefined);
  return { code: run.code, stderr: run.stderr, clientBytes, ...(text === undefined ? {} : { report: JSON.parse(text) as Report }) };
}

function assertSameFrames(remote: readonly OkOrFailed[], local: readonly OkOrFailed[], what: string): void {
  assert.equal(remote.length, local.length, what);
  remote.forEach((frame, i) => {
    const other = local[i]!;
    assert.equal(frame.status, other.status, `${what} frame ${i}: ${frame.status === 'failed' ? frame.message : ''} vs ${other.status === 'failed' ? other.message : ''}`);
    assert.equal(frame.requestedTime, other.requestedTime, `${what} frame ${i}: the time asked for`);
    if (frame.status !== 'ok' || other.status !== 'ok') return;
    assert.equal(frame.actualTime, other.actualTime, `${what} frame ${i} time`);
    for (const label of Object.keys(other.scores)) assert.ok(Math.abs(frame.scores[label]! - other.scores[label]!) < 1e-5, `${what} frame ${i} ${label}: ${frame.scores[label]} vs ${other.scores[label]}`);
  });
}

const EQUAL = [
  'episodes/bframes.mp4', 'episodes/edit-list.mp4', 'episodes/rotated.mov', 'episodes/hevc.mp4', 'episodes/vfr-early-end.mp4',
  'episodes/h264.mkv', 'episodes/vp9.webm', 'episodes/live.webm', 'episodes/h264.ts', 'episodes/hevc.ts', 'episodes/open-gop-hevc.ts',
];
for (const key of EQUAL) {
  test(`${key}: --sample-on lambda equals --sample-on local (times, scores within 1e-5); the client reads only the index`, async () => {
    const remote = await classify(key, 'lambda');
    const local = await classify(key, 'local');
    assert.equal(remote.code, 0, `${remote.stderr}\n${offline!.server.output().slice(-2000)}`);
    assert.equal(local.code, 0, local.stderr);
    assert.equal(remote.report!.run.sampledOn, 'lambda');
    assert.equal(local.report!.run.sampledOn, 'local');
    assertSameFrames(remote.report!.frames, local.report!.frames, key);
    const sampling = functionSampling(remote.report!);
    assert.ok(sampling.functionBytesRead > 0, 'the function read the frames');
    assert.ok(sampling.framesDecoded >= 8, `frames decoded ${sampling.framesDecoded}`);
    if (SPANNED.test(key)) {
      // Sent as span jobs (the client read no frame-level index); the function indexed them and walked GOPs.
      assert.match(remote.stderr, /sampled in the function: 2 spans \(8 frames; the function reads the (Matroska\/WebM|MPEG-TS) index around them\)/);
    } else {
      // Every frame travels in a GOP job the client planned, none as a per-frame seek.
      const jobs = /sampled in the function: (\d+) GOP walks \(\d+ coded frames\) and (\d+) per-frame seeks/.exec(remote.stderr);
      assert.ok(jobs !== null, remote.stderr);
      assert.ok(Number(jobs[1]) > 0, `${key}: GOP walks`);
      // (A VFR file's times after its last frame take the seek, as they do locally.)
      if (!key.includes('vfr')) assert.equal(Number(jobs[2]), 0, `${key}: per-frame seeks`);
    }
    // What the function did: GOP walks (MPEG-TS: its byte spans and PID; Matroska/WebM: its blocks), not per-frame seeks.
    assert.ok(sampling.gopWalks > 0, `${key}: the function's GOP walks (${JSON.stringify(sampling)})`);
    if (!key.includes('vfr')) assert.equal(sampling.seeks, 0, `${key}: the function's per-frame seeks`);
  });
}

/**
 * One 3-minute 1.2 Mbit/s encode, as MP4 and as ffmpeg's Matroska and MPEG-TS stream
 * copies. The MP4's index is its moov: 4.3 % of the object with the probe, a third of
 * what local sampling reads, at `--every 10`. Matroska and MPEG-TS travel as span jobs:
 * the client reads the probe and the first bytes, however dense the plan; at `--every 2`
 * (90 frames) the code before span jobs read the whole file's index through the relay
 * (a pass: dense times), over 100 % of the object, and 42 % for Matroska at `--every 10`.
 * Matroska: 5.3 % (the probe, and the check that the file has Cues: its head and one
 * relay block at the Cues, a fixed cost, 0.04 % of a 30-minute 1080p file). MPEG-TS:
 * about 10 % (the probe: ffprobe's first read and 33 clock probes of about 36 KB each).
 */
const EPISODES = [['mp4', 'MP4', ['--every', '10'], 0.1], ['mkv', 'Matroska', ['--every', '2'], 0.07], ['ts', 'MPEG-TS', ['--every', '2'], 0.15]] as const;
for (const [extension, container, every, maxShare] of EPISODES) {
  test(`a 3-minute ${container} episode at ${every.join(' ')}: the client downloads only the probe and the index (a small share of the object); sampling locally reads the frames`, async () => {
    const mp4 = await largeVideo({ width: 640, height: 360, kbps: 1200, minutes: 3 });
    const large = extension === 'mp4' ? mp4 : await largeCopy(mp4, extension === 'mkv' ? 'matroska' : 'mpegts');
    const key = `episodes/episode.${extension}`;
    await putObject(s3.endpoint, 'media', key, await readBytes(large.file));
    const remote = await classify(key, 'lambda', { sampling: [...every] });
    const local = await classify(key, 'local', { sampling: [...every] });
    const share = remote.clientBytes / large.sizeBytes;
    // FRAMESCORE_TEST_PRINT_BYTES=1 prints what the client read (docs/lambda.md quotes it).
    if (process.env.FRAMESCORE_TEST_PRINT_BYTES === '1') console.log(`${key}: client read ${remote.clientBytes} B of ${large.sizeBytes} (${(100 * share).toFixed(2)} %) sampling in the function; ${local.clientBytes} B sampling locally`);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(local.code, 0, local.stderr);
    assertSameFrames(remote.report!.frames, local.report!.frames, key);
    if (extension === 'mp4') {
      // Every frame in a GOP job cut from the index's byte ranges.
      assert.match(remote.stderr, /sampled in the function: [1-9]\d* GOP walks \(\d+ coded frames\) and 0 per-frame seeks/);
    } else {
      assert.match(remote.stderr, /sampled in the function: 2 spans \(90 frames; the function reads the .* index around them\) in 2 invocations/);
    }
    const sampling = functionSampling(remote.report!);
    assert.ok(sampling.gopWalks > 0 && sampling.seeks === 0, `${key}: the function walked GOPs, no per-frame seeks (${JSON.stringify(sampling)})`);
    assert.ok(share < maxShare, `${key}: client read ${remote.clientBytes} B of ${large.sizeBytes} (${(100 * share).toFixed(1)} %)`);
    assert.ok(remote.clientBytes * 3 < local.clientBytes, `${key}: client read ${remote.clientBytes} B sampling in the function vs ${local.clientBytes} B sampling locally`);
    assert.ok(sampling.clientBytesRead > 0 && sampling.clientBytesRead <= remote.clientBytes, `report says the client read ${sampling.clientBytesRead} B`);
    assert.match(remote.stderr, /sampled in the function \(.* MB read from S3, \d+ frames decoded, this machine downloaded .* MB of .* MB\)/);
  });
}

test('--keyframes on a Matroska file sent as spans: the function plans keyframes from the request, as local sampling does', async () => {
  const sampling = ['--frames', '6', '--keyframes'];
  const remote = await classify('episodes/h264.mkv', 'lambda', { sampling });
  const local = await classify('episodes/h264.mkv', 'local', { sampling });
  assert.equal(remote.code, 0, remote.stderr);
  assert.equal(local.code, 0, local.stderr);
  assert.match(remote.stderr, /sampled in the function: 2 spans \(6 frames;/);
  assertSameFrames(remote.report!.frames, local.report!.frames, 'h264.mkv --keyframes');
  assert.ok(functionSampling(remote.report!).gopWalks > 0);
});

test('--html with sampling in the function: the thumbnails come back with the scores', async () => {
  const html = path.join(await tempDir('sample-on-html'), 'report.html');
  const run = await runCli([
    'classify', 's3://media/episodes/bframes.mp4', '--function', FUNCTION, '--endpoint-url', offline!.server.lambdaEndpoint, '--s3-endpoint', proxy.endpoint,
    ...FEW_ENVIRONMENTS, '--sample-on', 'lambda', '--frames', '6', '--html', html, '--out', html.replace(/\.html$/, ''), '-q',
  ], { env: s3.env });
  assert.equal(run.code, 0, run.stderr);
  const page = await readFile(html, 'utf8');
  assert.ok((page.match(/data:image\/jpeg;base64,/g)?.length ?? 0) >= 6, 'a thumbnail for every frame');
});

test('a joined MPEG-TS (its clock goes back at the join): --sample-on lambda exits 2 with one line; auto samples it locally on the continuous timeline', async () => {
  const insisted = await classify('episodes/joined.ts', 'lambda', { quiet: true });
  assert.equal(insisted.code, 2, insisted.stderr);
  assert.match(insisted.stderr.trim(), /^framescore: cannot sample "s3:\/\/media\/episodes\/joined\.ts" in the function: its MPEG-TS clock jumps/);
  const auto = await classify('episodes/joined.ts', 'auto');
  assert.equal(auto.code, 0, auto.stderr);
  assert.equal(auto.report!.run.sampledOn, 'local');
  // Both parts are covered: the last of 8 evenly spaced times lies in the second file (the whole is 9 s).
  assert.ok(auto.report!.frames.at(-1)!.actualTime! > 8, `last frame at ${auto.report!.frames.at(-1)!.actualTime}`);
});

test('a URI outside VIDEO_URI_PREFIXES: --sample-on lambda exits 2 with one line; auto samples it locally', async () => {
  const insisted = await classify('private/outside.mp4', 'lambda', { quiet: true });
  assert.equal(insisted.code, 2, insisted.stderr);
  assert.match(insisted.stderr.trim(), /^framescore: cannot sample "s3:\/\/media\/private\/outside\.mp4" in the function: .*not under the function's VIDEO_URI_PREFIXES \(s3:\/\/media\/episodes\/\)$/);
  const auto = await classify('private/outside.mp4', 'auto');
  assert.equal(auto.code, 0, auto.stderr);
  assert.equal(auto.report!.run.sampledOn, 'local');
  assert.match(auto.stderr, /sampled locally: .*not under the function's VIDEO_URI_PREFIXES/);
});

test('a corrupt stretch and a truncated file fail only the frames they touch, as when sampled locally', async () => {
  for (const key of ['episodes/corrupt.mp4', 'episodes/truncated.mp4']) {
    const remote = await classify(key, 'lambda', { sampling: ['--at', '1.5,3,6,6.5,9.5'] });
    const local = await classify(key, 'local', { sampling: ['--at', '1.5,3,6,6.5,9.5'] });
    assert.equal(remote.code, local.code, `${key}: ${remote.stderr}`);
    assertSameFrames(remote.report!.frames, local.report!.frames, key);
    assert.ok(remote.report!.frames.some((frame) => frame.status === 'failed'), `${key} has failed frames`);
  }
});

test('the function refuses a URI outside its prefixes without reading, and a changed or deleted object fails each frame with its cause (seeks and spans)', async () => {
  const lambda = new LambdaClient({ endpoint: offline!.server.lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const invoke = async (request: SampleRequest): Promise<unknown> => {
    const response = await lambda.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: JSON.stringify(request) }));
    assert.equal(response.FunctionError, undefined, new TextDecoder().decode(response.Payload));
    return JSON.parse(new TextDecoder().decode(response.Payload)) as unknown;
  };
  const request = (key: string, etag: string): SampleRequest => ({
    v: CONTRACT_VERSION, kind: SAMPLE_KIND, object: { uri: `s3://media/${key}`, etag, size: sizes.get(key) ?? 1000 },
    video: { startTime: 0, rotation: 0, keyframes: false }, fit: 'crop', gops: [], seeks: [{ id: 'a', requestedTime: 1 }, { id: 'b', requestedTime: 2 }],
  });
  try {
    const refused = parseSampleResponse(await invoke(request('private/outside.mp4', '"x"')), request('private/outside.mp4', '"x"'));
    assert.ok('error' in refused && refused.error.code === 'URI_NOT_ALLOWED', JSON.stringify(refused));
    const changed = parseSampleResponse(await invoke(request('episodes/bframes.mp4', '"not-the-etag"')), request('episodes/bframes.mp4', '"x"'));
    assert.ok(!('error' in changed));
    if ('error' in changed) return;
    assert.deepEqual(changed.results.map((result) => result.status === 'failed' ? result.code : 'ok'), ['OBJECT_CHANGED', 'OBJECT_CHANGED']);
    const deleted = parseSampleResponse(await invoke(request('episodes/deleted.mp4', '"x"')), request('episodes/deleted.mp4', '"x"'));
    assert.ok(!('error' in deleted) && deleted.results.every((result) => result.status === 'failed' && result.code === 'OBJECT_NOT_FOUND'), JSON.stringify(deleted));
    // Span jobs (the function reads the index itself) fail the same way, each frame with the cause.
    const spans = (key: string, etag: string): SampleRequest => ({ ...request(key, etag), seeks: [], spans: [{ targets: [{ id: 'a', requestedTime: 1 }, { id: 'b', requestedTime: 2 }] }] });
    for (const [key, etag, code] of [['episodes/h264.mkv', '"not-the-etag"', 'OBJECT_CHANGED'], ['episodes/deleted.ts', '"x"', 'OBJECT_NOT_FOUND']] as const) {
      const answer = parseSampleResponse(await invoke(spans(key, etag)), spans(key, etag));
      assert.ok(!('error' in answer) && answer.results.every((result) => result.status === 'failed' && result.code === code), `${key}: ${JSON.stringify(answer)}`);
    }
  } finally {
    lambda.destroy();
  }
});

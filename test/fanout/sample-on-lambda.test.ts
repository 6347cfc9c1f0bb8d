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

// Ports of their own (the other offline suites use 3002/3003, 3012/3013, 3022/3023).
const LAMBDA_PORT = 3032;
const HTTP_PORT = 3033;
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
  'episodes/h264.mkv', 'episodes/vp9.webm', 'episodes/h264.ts', 'episodes/hevc.ts', 'episodes/open-gop-hevc.ts',
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
    const sampling = (remote.report!.run.lambda as { sampling: { functionBytesRead: number; clientBytesRead: number; framesDecoded: number } }).sampling;
    assert.ok(sampling.functionBytesRead > 0, 'the function read the frames');
    assert.ok(sampling.framesDecoded >= 8, `frames decoded ${sampling.framesDecoded}`);
    // Every frame travels in a GOP job (MPEG-TS: its byte spans and PID; Matroska/WebM: its blocks), none as a per-frame seek.
    const jobs = /sampled in the function: (\d+) GOP walks \(\d+ coded frames\) and (\d+) per-frame seeks/.exec(remote.stderr);
    assert.ok(jobs !== null, remote.stderr);
    assert.ok(Number(jobs[1]) > 0, `${key}: GOP walks`);
    // (A VFR file's times after its last frame take the seek, as they do locally.)
    if (!key.includes('vfr')) assert.equal(Number(jobs[2]), 0, `${key}: per-frame seeks`);
  });
}

/**
 * One 3-minute 1.2 Mbit/s encode, as MP4 and as ffmpeg's Matroska stream copy (5-second
 * clusters, Cues on keyframes), 18 frames. The MP4's index is its moov: 4.3 % of the object
 * with the probe, a third of what local sampling reads. A Matroska index around the times
 * walks block headers from each time's keyframe to 16 frames past it; through the relay's
 * 256 KB blocks that reads most of the blocks those walks cross: 42 % of this object (the
 * same blocks local sampling then reads its frames from), where planning from mediabunny's
 * reading plus whole clusters read 106 %.
 */
const EPISODES = [['mp4', 'MP4', 0.1], ['mkv', 'Matroska', 0.5]] as const;
for (const [extension, container, maxShare] of EPISODES) {
  test(`a 3-minute ${container} episode: the client downloads only the probe and the index (a small share of the object); sampling locally reads the frames`, async () => {
    const mp4 = await largeVideo({ width: 640, height: 360, kbps: 1200, minutes: 3 });
    const large = extension === 'mp4' ? mp4 : await largeCopy(mp4, 'matroska');
    const key = `episodes/episode.${extension}`;
    await putObject(s3.endpoint, 'media', key, await readBytes(large.file));
    const remote = await classify(key, 'lambda', { sampling: ['--every', '10'] });
    const local = await classify(key, 'local', { sampling: ['--every', '10'] });
    const share = remote.clientBytes / large.sizeBytes;
    // FRAMESCORE_TEST_PRINT_BYTES=1 prints what the client read (docs/lambda.md quotes it).
    if (process.env.FRAMESCORE_TEST_PRINT_BYTES === '1') console.log(`${key}: client read ${remote.clientBytes} B of ${large.sizeBytes} (${(100 * share).toFixed(2)} %) sampling in the function; ${local.clientBytes} B sampling locally`);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(local.code, 0, local.stderr);
    assertSameFrames(remote.report!.frames, local.report!.frames, key);
    // Every frame in a GOP job cut from the index's byte ranges (Matroska: its block headers, not whole clusters).
    assert.match(remote.stderr, /sampled in the function: [1-9]\d* GOP walks \(\d+ coded frames\) and 0 per-frame seeks/);
    assert.ok(share < maxShare, `${key}: client read ${remote.clientBytes} B of ${large.sizeBytes} (${(100 * share).toFixed(1)} %)`);
    const fewer = extension === 'mp4' ? remote.clientBytes * 3 < local.clientBytes : remote.clientBytes <= local.clientBytes;
    assert.ok(fewer, `${key}: client read ${remote.clientBytes} B sampling in the function vs ${local.clientBytes} B sampling locally`);
    const sampling = (remote.report!.run.lambda as { sampling: { clientBytesRead: number; functionBytesRead: number } }).sampling;
    assert.ok(sampling.clientBytesRead > 0 && sampling.clientBytesRead <= remote.clientBytes, `report says the client read ${sampling.clientBytesRead} B`);
    assert.match(remote.stderr, /sampled in the function \(.* MB read from S3, \d+ frames decoded, this machine downloaded .* MB of .* MB\)/);
  });
}

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

test('the function refuses a URI outside its prefixes without reading, and a changed or deleted object fails each frame with its cause', async () => {
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
  } finally {
    lambda.destroy();
  }
});

/**
 * The library on the function fleet: `classify(input, { lambda })` through the
 * packaged function under serverless-offline, with s3rver holding the video,
 * gives the report the CLI writes for `classify --function` on the same input:
 * sampled in the function for an s3:// video, sampled here and scored there for
 * a local file; the fleet's statistics in report.run.lambda and in `run.lambda`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { classify, FunctionUnavailableError, InputError, OptionError, type FrameResult, type Report, type RunEvent } from '../../src/index.js';
import { resolveBinaries } from '../../src/media/binaries.js';
import { putObject, readBytes } from '../helpers/s3-fixtures.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import { fixture } from '../helpers/videos.js';
import { awsEnv, runCli, tempDir } from '../fanout/run-cli.js';
import { startPackagedOffline, type PackagedOffline } from '../lambda/fixtures.js';

// Ports of their own (the other offline suites use 3002 … 3063).
const LAMBDA_PORT = 3072;
const HTTP_PORT = 3073;
/** serverless.yml: service framescore, stage dev, function classify. */
const FUNCTION = 'framescore-dev-classify';
const PREFIX = 's3://media/episodes/';
const VIDEO_URI = `${PREFIX}bframes.mp4`;

let s3: S3rverHandle;
let offline: PackagedOffline | undefined;
let localVideo: string;

before(async () => {
  s3 = await startS3rver({ buckets: ['media'] });
  localVideo = await fixture('h264.mp4');
  await putObject(s3.endpoint, 'media', 'episodes/bframes.mp4', await readBytes(localVideo));
  offline = await startPackagedOffline({
    lambdaPort: LAMBDA_PORT, httpPort: HTTP_PORT,
    env: { ...s3.env, VIDEO_URI_PREFIXES: PREFIX, FFMPEG_PATH: process.env.FRAMESCORE_TEST_LAYER_FFMPEG ?? resolveBinaries().ffmpeg },
  });
});

after(async () => {
  await offline?.stop();
  await s3?.stop();
});

/** The CLI's report for the same input and settings. */
async function cliReport(input: string, args: readonly string[]): Promise<Report> {
  const base = path.join(await tempDir('library-fleet'), 'report');
  const run = await runCli([
    'classify', input, '--function', FUNCTION, '--endpoint-url', offline!.server.lambdaEndpoint, '--concurrency', '2',
    '--frames', '6', '--format', 'json', '--out', base, ...args,
  ], { env: s3.env });
  assert.equal(run.code, 0, `${run.stderr}\n${offline!.server.output().slice(-2000)}`);
  return JSON.parse(await readFile(`${base}.json`, 'utf8')) as Report;
}

/** The library's run, with the same environment the CLI had (keys, S3 endpoint, no shared AWS config). */
function libraryRun(input: string, sampleOn: 'lambda' | 'local' | 'auto', events: RunEvent[] = []): ReturnType<typeof classify> {
  return classify(input, {
    frames: 6,
    lambda: { functionName: FUNCTION, concurrency: 2, sampleOn, endpoint: offline!.server.lambdaEndpoint },
    aws: { env: { ...awsEnv, ...s3.env } },
    onEvent: (event) => { events.push(event); },
  });
}

function assertSameReport(inMemory: Report, cli: Report): void {
  // As written: a report in memory may hold undefined fields that JSON leaves out.
  const library = JSON.parse(JSON.stringify(inMemory)) as Report;
  assert.equal(library.run.mode, 'lambda');
  assert.equal(library.run.mode, cli.run.mode);
  assert.equal(library.run.sampledOn, cli.run.sampledOn);
  assert.equal(library.run.scorer, cli.run.scorer);
  assert.deepEqual(library.video, cli.video);
  assert.deepEqual(library.model, cli.model);
  assert.deepEqual(library.sampling, cli.sampling);
  assert.equal(library.frames.length, 6);
  library.frames.forEach((frame, i) => {
    const other = cli.frames[i]!;
    assert.ok(frame.status === 'ok' && other.status === 'ok', `frame ${i}`);
    assert.equal(frame.index, other.index);
    assert.equal(frame.requestedTime, other.requestedTime);
    assert.equal(frame.actualTime, other.actualTime, `frame ${i} time`);
    for (const label of library.model.labels) assert.ok(Math.abs(frame.scores[label]! - other.scores[label]!) < 1e-5, `frame ${i} ${label}`);
  });
  for (const label of library.model.labels) assert.ok(Math.abs(library.summary.labels[label]!.mean - cli.summary.labels[label]!.mean) < 1e-5, label);
  // The same fields in report.run and report.run.lambda (their values are this run's timings and counts).
  assert.deepEqual(Object.keys(library.run).sort(), Object.keys(cli.run).sort());
  assert.deepEqual(Object.keys(library.run.lambda as object).sort(), Object.keys(cli.run.lambda as object).sort());
}

describe('classify(input, { lambda }) on the packaged function', () => {
  it('an s3:// video is sampled in the function, as classify --function --sample-on lambda does: the same report', async () => {
    const events: RunEvent[] = [];
    const run = libraryRun(VIDEO_URI, 'lambda', events);
    const streamed: FrameResult[] = [];
    for await (const frame of run) streamed.push(frame);
    const report = await run.report;
    const cli = await cliReport(VIDEO_URI, ['--sample-on', 'lambda']);
    assertSameReport(report, cli);
    assert.equal(report.run.sampledOn, 'lambda');
    assert.deepEqual(streamed.map((frame) => frame.index).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    const lambda = await run.lambda;
    assert.deepEqual(lambda, report.run.lambda);
    assert.equal(lambda?.function, FUNCTION);
    assert.ok(lambda.invocations >= 1);
    assert.ok(lambda.sampling !== undefined && lambda.sampling.functionBytesRead > 0 && lambda.sampling.framesDecoded >= 6, JSON.stringify(lambda.sampling));
    // serverless-offline returns no tail logs: the cost estimate says so rather than inventing one.
    assert.equal(lambda.cost.usd, null);
    const progress = events.filter((event) => event.type === 'progress');
    assert.deepEqual(progress.at(-1), { type: 'progress', source: VIDEO_URI, total: 6, sampled: 6, done: 6, failed: 0 });
    assert.ok(events.some((event) => event.type === 'message' && event.level === 'info' && /^lambda: \d+ invocations/.test(event.message)));
  });

  it('a local file is sampled here and scored in the function, as classify --function does: the same report', async () => {
    const run = libraryRun(localVideo, 'auto');
    const report = await run.report;
    const cli = await cliReport(localVideo, []);
    assertSameReport(report, cli);
    assert.equal(report.run.sampledOn, 'local');
    assert.equal((await run.lambda)?.sampling, undefined);
  });

  it('sampleOn lambda on a video the function cannot read rejects with InputError naming the video and why', async () => {
    await assert.rejects(libraryRun(localVideo, 'lambda').report, (error: unknown) => error instanceof InputError
      && error.message === `cannot sample "${localVideo}" in the function: it is not an s3:// object`);
  });

  it('an unknown function rejects with FunctionUnavailableError naming it; local-only options are refused', async () => {
    const unknown = classify(localVideo, { frames: 2, lambda: { functionName: 'no-such-function', endpoint: offline!.server.lambdaEndpoint }, aws: { env: awsEnv } });
    await assert.rejects(unknown.report, (error: unknown) => error instanceof FunctionUnavailableError && error.message.includes('"no-such-function"'));
    await assert.rejects(classify(localVideo, { lambda: { functionName: FUNCTION }, workers: 2 }).report, OptionError);
    await assert.rejects(classify(localVideo, { lambda: { functionName: FUNCTION, sampleOn: 'there' as 'auto' } }).report, OptionError);
  });
});

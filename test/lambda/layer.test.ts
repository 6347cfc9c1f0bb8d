/**
 * The ffmpeg layers (dist/ffmpeg-layer-<arch>.zip): bin/ffmpeg stored executable
 * for the layer's CPU, the GPL text and source notice beside it, deterministic;
 * the x86_64 layer's ffmpeg runs once unzipped, and the packaged function under
 * serverless-offline finds it through FFMPEG_PATH and samples under VIDEO_URI_PREFIXES.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { unzipSync } from 'fflate';
import { parseWarmupResponse } from '../../src/core/contract.js';
import { DEFAULT_NPM_CACHE, FFMPEG_BIN, FFMPEG_LICENCE, FFMPEG_NOTICE, packageFfmpegLayer, type LayerResult } from '../../scripts/ffmpeg-layer.js';
import { elfMachine, extractZip, nativeEntries, zipEntryModes } from '../../scripts/lambda-zip.js';
import { ARCHITECTURES, type LambdaArchitecture } from '../../scripts/package-lambda.js';
import { startPackagedOffline, tempDir, type PackagedOffline } from './fixtures.js';

const MACHINE = { arm64: 0xb7, x86_64: 0x3e } as const satisfies Record<LambdaArchitecture, number>;
const PACKAGE = { arm64: '@ffmpeg-installer/linux-arm64@4.1.4', x86_64: '@ffmpeg-installer/linux-x64@4.1.0' } as const;
const layers = new Map<LambdaArchitecture, LayerResult>();
let work: string;

before(async () => {
  work = await tempDir('layer');
  for (const architecture of ARCHITECTURES) layers.set(architecture, await packageFfmpegLayer(path.join(work, `ffmpeg-layer-${architecture}.zip`), architecture));
});

test('each layer holds bin/ffmpeg (mode 0755 in the zip) for its own CPU, and the GPL text and source notice (0644)', async () => {
  for (const architecture of ARCHITECTURES) {
    const layer = layers.get(architecture)!;
    const zip = new Uint8Array(await readFile(layer.out));
    assert.deepEqual(layer.files, [FFMPEG_BIN, FFMPEG_LICENCE, FFMPEG_NOTICE]);
    assert.deepEqual(Object.fromEntries(zipEntryModes(zip)), { [FFMPEG_BIN]: 0o100755, [FFMPEG_LICENCE]: 0o100644, [FFMPEG_NOTICE]: 0o100644 });
    const entries = unzipSync(zip);
    assert.deepEqual(nativeEntries(entries), [FFMPEG_BIN]);
    assert.equal(elfMachine(entries[FFMPEG_BIN]!), MACHINE[architecture], `${architecture} ffmpeg's ELF e_machine`);
    assert.match(new TextDecoder().decode(entries[FFMPEG_LICENCE]), /^\s*GNU GENERAL PUBLIC LICENSE\s+Version 3, 29 June 2007/);
    const notice = new TextDecoder().decode(entries[FFMPEG_NOTICE]);
    assert.ok(notice.includes(PACKAGE[architecture]), notice);
    assert.match(notice, /https:\/\/git\.ffmpeg\.org\/ffmpeg\.git, commit [0-9a-f]{10}/);
    assert.match(notice, /--enable-gpl --enable-version3/);
    assert.equal(layer.source, PACKAGE[architecture]);
    assert.ok(layer.zippedBytes < 50 * 1024 * 1024, `${architecture} layer is ${layer.zippedBytes} bytes`);
  }
});

test('packaging a layer again gives the same sha256, and the arm64 tarball comes from the cache', async () => {
  const cached = path.join(DEFAULT_NPM_CACHE, 'ffmpeg-installer-linux-arm64-4.1.4.tgz');
  const before = await stat(cached);
  for (const architecture of ARCHITECTURES) {
    const again = await packageFfmpegLayer(path.join(work, `again-${architecture}.zip`), architecture);
    assert.equal(again.sha256, layers.get(architecture)!.sha256, architecture);
  }
  const afterwards = await stat(cached);
  assert.equal(afterwards.mtimeMs, before.mtimeMs, 'the cached tarball was not fetched again');
  assert.equal(afterwards.ino, before.ino);
});

test('the unzipped x86_64 layer has an executable bin/ffmpeg that runs', async () => {
  const dir = path.join(work, 'opt');
  await extractZip(new Uint8Array(await readFile(layers.get('x86_64')!.out)), dir);
  const ffmpeg = path.join(dir, FFMPEG_BIN);
  assert.equal((await stat(ffmpeg)).mode & 0o777, 0o755);
  await access(ffmpeg, constants.X_OK);
  const { stdout } = await promisify(execFile)(ffmpeg, ['-hide_banner', '-version']);
  assert.match(stdout, /^ffmpeg version \S+-static/);
  assert.match(stdout, /--enable-gpl/);
});

const LAMBDA_PORT = 3052; // and 3053: ports no other suite uses, so files can run side by side
let offline: PackagedOffline | undefined;
after(async () => {
  await offline?.stop();
});

test('under serverless-offline the packaged function finds the layer\'s ffmpeg via FFMPEG_PATH and samples under VIDEO_URI_PREFIXES', async () => {
  const ffmpeg = path.join(work, 'opt', FFMPEG_BIN);
  await access(ffmpeg, constants.X_OK);
  offline = await startPackagedOffline({ lambdaPort: LAMBDA_PORT, httpPort: LAMBDA_PORT + 1, env: { FFMPEG_PATH: ffmpeg, VIDEO_URI_PREFIXES: 's3://videos/uploads/', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' } });
  const lambda = new LambdaClient({ endpoint: offline.server.lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const response = await lambda.send(new InvokeCommand({ FunctionName: 'framescore-dev-classify', Payload: JSON.stringify({ warmup: true }) }));
    assert.equal(response.FunctionError, undefined, new TextDecoder().decode(response.Payload));
    const warm = parseWarmupResponse(JSON.parse(new TextDecoder().decode(response.Payload)) as unknown);
    assert.deepEqual(warm.sampling, { available: true, prefixes: ['s3://videos/uploads/'], containers: ['mp4', 'mpeg-ts', 'matroska'], spans: ['matroska', 'mpeg-ts'] });
  } finally {
    lambda.destroy();
  }
});

/**
 * Hostile inputs to the function, in-process through its handler (compiled
 * sources, packaged model): image bombs in a batch and over HTTP answered with
 * INVALID_IMAGE from the header alone, and a sample request with a forged
 * object.size against a real S3-compatible server (s3rver behind a proxy that
 * records each request's method): one HEAD, no GET, INVALID_REQUEST. The bomb
 * and the forged size go through the packaged function (serverless-offline) too.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { after, before, test } from 'node:test';
import { resolveBinaries } from '../../src/media/binaries.js';
import { CONTRACT_VERSION } from '../../src/core/contract.js';
import { setLogSink } from '../../src/lambda/log.js';
import { jpegBomb, pngBomb } from '../helpers/image-bombs.js';
import { listenOnLoopback } from '../helpers/loopback.js';
import { startS3rver, S3RVER_CREDENTIALS, S3RVER_REGION, type S3rverHandle } from '../helpers/s3rver.js';
import { startPackagedOffline, type PackagedOffline } from './fixtures.js';

const LAMBDA_PORT = 3042;
let offline: PackagedOffline | undefined;
let lambda: LambdaClient | undefined;

let s3: S3rverHandle;
let proxy: Server;
const methods: string[] = [];
let handler: (event: unknown) => Promise<unknown>;
const OBJECT = 's3://media/episodes/clip.mp4';
const BODY = Buffer.alloc(288 * 1024, 7);
let etag: string;

before(async () => {
  s3 = await startS3rver({ buckets: ['media'] });
  etag = (await s3.client.send(new PutObjectCommand({ Bucket: 'media', Key: 'episodes/clip.mp4', Body: BODY }))).ETag!;
  // Forwards to s3rver, recording every request's method.
  proxy = createServer((incoming, outgoing) => {
    methods.push(incoming.method ?? '?');
    const upstream = httpRequest({ host: '127.0.0.1', port: s3.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  const endpoint = `http://127.0.0.1:${await listenOnLoopback(proxy)}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: S3RVER_REGION, VIDEO_URI_PREFIXES: 's3://media/episodes/', FFMPEG_PATH: resolveBinaries().ffmpeg,
  };
  Object.assign(process.env, env);
  offline = await startPackagedOffline({ lambdaPort: LAMBDA_PORT, httpPort: LAMBDA_PORT + 1, env });
  lambda = new LambdaClient({ endpoint: offline.server.lambdaEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  setLogSink(() => {});
  // Imported once the environment is set: the handler reads it at load.
  ({ handler } = await import('../../src/lambda/index.js'));
});

after(async () => {
  setLogSink();
  lambda?.destroy();
  await offline?.stop();
  await new Promise((resolve) => proxy.close(resolve));
  await s3.stop();
});

/** The packaged function through the Invoke API. */
async function invokePackaged(payload: unknown): Promise<unknown> {
  const response = await lambda!.send(new InvokeCommand({ FunctionName: 'framescore-dev-classify', Payload: JSON.stringify(payload) }));
  assert.equal(response.FunctionError, undefined, new TextDecoder().decode(response.Payload));
  return JSON.parse(new TextDecoder().decode(response.Payload)) as unknown;
}

test('a batch frame declaring 30000×30000 fails alone with INVALID_IMAGE, from its header', async () => {
  const frames = [pngBomb(30000, 30000), jpegBomb(30000, 30000)].map((bytes, i) => ({ id: `bomb-${i}`, image: bytes.toString('base64') }));
  const before = process.memoryUsage().rss;
  const response = await handler({ v: CONTRACT_VERSION, frames }) as { results: Array<{ id: string; status: string; code?: string; message?: string }> };
  assert.deepEqual(response.results.map((r) => [r.id, r.status, r.code]), [['bomb-0', 'failed', 'INVALID_IMAGE'], ['bomb-1', 'failed', 'INVALID_IMAGE']]);
  for (const result of response.results) assert.match(result.message ?? '', /refused before decoding: it declares 30000×30000 pixels \(900\.0 megapixels\)/);
  // Decoding either would have taken gigabytes.
  assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, 'no decode happened');
  const packaged = await invokePackaged({ v: CONTRACT_VERSION, frames }) as typeof response;
  assert.deepEqual(packaged.results.map((r) => [r.id, r.status, r.code]), [['bomb-0', 'failed', 'INVALID_IMAGE'], ['bomb-1', 'failed', 'INVALID_IMAGE']]);
});

test('the HTTP route answers a bomb with 400 INVALID_IMAGE', async () => {
  const event = { version: '2.0', routeKey: '$default', rawPath: '/classify', headers: { 'content-type': 'image/png' }, requestContext: { domainName: 'x.lambda-url.us-east-1.on.aws', http: { method: 'POST', path: '/classify' } }, body: pngBomb(30000, 30000).toString('base64'), isBase64Encoded: true };
  const response = await handler(event) as { statusCode: number; body: string };
  assert.equal(response.statusCode, 400);
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'INVALID_IMAGE');
  assert.match(body.error.message, /30000×30000/);
});

test('a sample request whose object.size is forged: INVALID_REQUEST after one HEAD, before any GET', async () => {
  methods.length = 0;
  const request = {
    v: CONTRACT_VERSION, kind: 'sample', object: { uri: OBJECT, etag, size: BODY.length * 40 },
    video: { startTime: 0, rotation: 0, keyframes: false }, fit: 'crop', gops: [],
    seeks: Array.from({ length: 12 }, (_, i) => ({ id: `f${i}`, requestedTime: i })),
  };
  const response = await handler(request) as { error?: { code: string; message: string } };
  assert.equal(response.error?.code, 'INVALID_REQUEST', JSON.stringify(response));
  assert.equal(response.error?.message, `object.size is ${BODY.length * 40} bytes but ${OBJECT} holds ${BODY.length}`);
  assert.deepEqual(methods, ['HEAD']);
  methods.length = 0;
  const packaged = await invokePackaged(request) as typeof response;
  assert.equal(packaged.error?.code, 'INVALID_REQUEST', JSON.stringify(packaged));
  assert.deepEqual(methods, ['HEAD'], 'the packaged function: one HEAD, no GET');
});

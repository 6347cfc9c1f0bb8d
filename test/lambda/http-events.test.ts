/**
 * HTTP proxy events called on the handler directly, in the three shapes AWS
 * sends, with raw binary bodies (isBase64Encoded: true) that serverless-offline
 * cannot deliver intact.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setLogSink } from '../../src/lambda/log.js';
import { MAX_HTTP_IMAGE_BYTES } from '../../src/lambda/http-image.js';
import { base64, makeImage, tempDir } from './fixtures.js';

setLogSink(() => undefined);
const { handler } = await import('../../src/lambda/index.js');
after(() => setLogSink());

interface Response {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

type Shape = 'rest-v1' | 'http-v2' | 'function-url';
const SHAPES: Shape[] = ['rest-v1', 'http-v2', 'function-url'];

function httpEvent(shape: Shape, method: string, body: string | undefined, isBase64Encoded: boolean, contentType = 'image/jpeg'): Record<string, unknown> {
  const headers = { 'Content-Type': contentType };
  if (shape === 'rest-v1') {
    return { resource: '/classify', path: '/classify', httpMethod: method, headers, multiValueHeaders: {}, requestContext: { stage: 'prod', httpMethod: method }, body: body ?? null, isBase64Encoded };
  }
  const domainName = shape === 'function-url' ? 'abc123.lambda-url.eu-west-1.on.aws' : 'api123.execute-api.eu-west-1.amazonaws.com';
  return { version: '2.0', routeKey: shape === 'function-url' ? '$default' : 'POST /classify', rawPath: '/classify', headers, requestContext: { domainName, http: { method, path: '/classify' } }, body, isBase64Encoded };
}

async function call(event: Record<string, unknown>): Promise<{ status: number; headers: Record<string, string>; json: Record<string, unknown> }> {
  const response = (await handler(event)) as Response;
  assert.equal(response.headers['content-type'], 'application/json');
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(response.body) as Record<string, unknown> };
}

let jpeg: Uint8Array;
let png: Uint8Array;
let expectedTop: string;

before(async () => {
  const dir = await tempDir('http');
  jpeg = await makeImage(dir, 'frame.jpg');
  png = await makeImage(dir, 'frame.png', '160x120', 'smptebars');
  const { json } = await call(httpEvent('http-v2', 'POST', base64(jpeg), true));
  expectedTop = (json.top as { label: string }).label;
});

test('a binary JPEG or PNG (isBase64Encoded) is scored in every event shape', async () => {
  for (const shape of SHAPES) {
    for (const [image, type] of [[jpeg, 'image/jpeg'], [png, 'image/png']] as const) {
      const { status, json } = await call(httpEvent(shape, 'POST', base64(image), true, type));
      assert.equal(status, 200, `${shape} ${type}: ${JSON.stringify(json)}`);
      assert.deepEqual(Object.keys(json).sort(), ['model', 'scores', 'timing', 'top']);
      assert.deepEqual(Object.keys(json.scores as object), ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
      assert.equal(typeof (json.timing as { inferMs: unknown }).inferMs, 'number');
    }
  }
});

test('base64 text, a data: URL and JSON {image} bodies give the same scores as binary', async () => {
  const binary = await call(httpEvent('function-url', 'POST', base64(jpeg), true));
  const bodies: Array<[string, boolean, string]> = [
    [base64(jpeg), false, 'text/plain'],
    [`data:image/jpeg;base64,${base64(jpeg)}`, false, 'text/plain'],
    [JSON.stringify({ image: base64(jpeg) }), false, 'application/json'],
    // A Function URL base64-encodes bodies with a non-text content type, text included.
    [base64(new TextEncoder().encode(base64(jpeg))), true, 'application/octet-stream'],
    [base64(new TextEncoder().encode(JSON.stringify({ image: base64(jpeg) }))), true, 'application/json'],
  ];
  for (const shape of SHAPES) {
    for (const [body, encoded, type] of bodies) {
      const { status, json } = await call(httpEvent(shape, 'POST', body, encoded, type));
      assert.equal(status, 200, `${shape} ${type}`);
      assert.deepEqual(json.scores, binary.json.scores);
      assert.equal((json.top as { label: string }).label, expectedTop);
    }
  }
});

test('wrong method → 405 with Allow: POST', async () => {
  for (const shape of SHAPES) {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const { status, headers, json } = await call(httpEvent(shape, method, undefined, false));
      assert.equal(status, 405);
      assert.equal(headers.allow, 'POST');
      assert.equal((json.error as { code: string }).code, 'METHOD_NOT_ALLOWED');
    }
  }
});

test('bodies that are not an image → 400 with a code and message', async () => {
  const cases: Array<[string | undefined, boolean, string, string, RegExp]> = [
    [undefined, false, 'image/jpeg', 'INVALID_REQUEST', /empty/],
    ['hello there, not an image!', false, 'text/plain', 'INVALID_IMAGE', /not a JPEG or PNG/],
    [base64(new TextEncoder().encode('plain text')), true, 'application/octet-stream', 'INVALID_IMAGE', /not a JPEG or PNG/],
    [base64(jpeg.subarray(0, 400)), true, 'image/jpeg', 'INVALID_IMAGE', /JPEG/],
    ['{"image": 42}', false, 'application/json', 'INVALID_REQUEST', /"image" field/],
    ['{"image": ', false, 'application/json', 'INVALID_REQUEST', /not valid JSON/],
    ['{"image": "%%%"}', false, 'application/json', 'INVALID_IMAGE', /not valid base64/],
    ['@@@ not base64', true, 'image/jpeg', 'INVALID_REQUEST', /isBase64Encoded is not valid base64/],
  ];
  for (const shape of SHAPES) {
    for (const [body, encoded, type, code, message] of cases) {
      const { status, json } = await call(httpEvent(shape, 'POST', body, encoded, type));
      const error = json.error as { code: string; message: string };
      assert.equal(status, 400, `${shape} ${String(body).slice(0, 20)}`);
      assert.equal(error.code, code, `${shape} ${String(body).slice(0, 20)}: ${error.message}`);
      assert.match(error.message, message);
    }
  }
});

test(`images over ${MAX_HTTP_IMAGE_BYTES / 1048576} MiB → 413`, async () => {
  const big = new Uint8Array(MAX_HTTP_IMAGE_BYTES + 1);
  big.set(jpeg);
  const slightlyOver = base64(big);
  const wayOver = base64(new Uint8Array(MAX_HTTP_IMAGE_BYTES * 2));
  for (const shape of SHAPES) {
    const bodies = [
      [slightlyOver, true, 'image/jpeg'],
      [slightlyOver, false, 'text/plain'],
      [wayOver, true, 'image/jpeg'],
      [JSON.stringify({ image: slightlyOver }), false, 'application/json'],
    ] as const;
    for (const [body, encoded, type] of bodies) {
      const { status, json } = await call(httpEvent(shape, 'POST', body, encoded, type));
      assert.equal(status, 413, shape);
      assert.equal((json.error as { code: string }).code, 'PAYLOAD_TOO_LARGE');
    }
  }
  const justUnder = new Uint8Array(MAX_HTTP_IMAGE_BYTES - 10);
  justUnder.set(jpeg);
  // A JPEG with trailing bytes is still decodable: the limit itself does not reject it.
  const { status } = await call(httpEvent('http-v2', 'POST', base64(justUnder), true));
  assert.equal(status, 200);
});

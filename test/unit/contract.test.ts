import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInvokeRequest, parseInvokeResponse, parseWarmupResponse, requestBytes, type InvokeRequest } from '../../src/core/contract.js';
import { ContractError } from '../../src/core/errors.js';

const model = { name: 'm', version: '1', sha256: 'a'.repeat(64), labels: ['A', 'B'], input: { width: 224, height: 224 } };
const request: InvokeRequest = { v: 1, frames: [{ id: 'f1', image: 'AAAA' }, { id: 'f2', image: 'BBBB' }] };
const timing = { coldStart: false, initMs: 0, inferMs: 12 };

describe('wire contract', () => {
  it('accepts a valid request and names the field of an invalid one', () => {
    assert.equal(parseInvokeRequest(request), request);
    const bad: Array<[unknown, RegExp]> = [
      [null, /not a JSON object/],
      [{ v: 3, frames: [] }, /"v" must be one of 1, 2/],
      [{ v: 1, frames: [{ id: 'a', pixels: { width: 1, height: 1, data: 'AAAA' } }] }, /frames\[0\] needs "image"/],
      [{ v: 2, frames: [{ id: 'a', pixels: { width: '1', height: 1, data: 'AAAA' } }] }, /frames\[0\]\.pixels needs numbers/],
      [{ v: 2, fit: 'squash', frames: [{ id: 'a', image: 'x' }] }, /"fit" must be one of crop, stretch/],
      [{ v: 1 }, /"frames" must be a list/],
      [{ v: 1, frames: [] }, /empty/],
      [{ v: 1, frames: [{ id: '', image: 'x' }] }, /frames\[0\]\.id/],
      [{ v: 1, frames: [{ id: 'a', image: 'x' }, { id: 'a', image: 'y' }] }, /repeated/],
      [{ v: 1, frames: [{ id: 'a', image: 42 }] }, /frames\[0\] needs "image"/],
    ];
    for (const [event, message] of bad) assert.throws(() => parseInvokeRequest(event), (error: unknown) => error instanceof ContractError && message.test(error.message));
  });

  it('validates a response against its request', () => {
    const good = {
      v: 1, model, timing,
      results: [
        { id: 'f1', status: 'ok', scores: { A: 0.3, B: 0.7 }, top: { label: 'B', score: 0.7 } },
        { id: 'f2', status: 'failed', code: 'INVALID_IMAGE', message: 'not a JPEG' },
      ],
    };
    assert.equal(parseInvokeResponse(good, request), good);
    assert.throws(() => parseInvokeResponse({ ...good, results: good.results.slice(0, 1) }, request), /missing 1 of 2/);
    assert.throws(() => parseInvokeResponse({ ...good, results: [...good.results, good.results[0]] }, request), /not requested or is repeated/);
    assert.throws(() => parseInvokeResponse({ ...good, results: [{ id: 'f1', status: 'ok', scores: { A: 1 }, top: {} }, good.results[1]] }, request), /no score for label B/);
    assert.throws(() => parseInvokeResponse({ ...good, timing: {} }, request), /timing/);
    assert.throws(() => parseInvokeResponse('oops', request), ContractError);
  });

  it('passes an error response through for the caller to judge', () => {
    const error = { v: 1, error: { code: 'INVALID_REQUEST', message: 'request "frames" is empty' } };
    assert.equal(parseInvokeResponse(error, request), error);
  });

  it('validates warm-up responses', () => {
    assert.deepEqual(parseWarmupResponse({ warm: true, coldStart: true, initMs: 812 }), { warm: true, coldStart: true, initMs: 812 });
    assert.throws(() => parseWarmupResponse({ warm: true }), ContractError);
  });

  it('estimates request size from image sizes (base64 grows by 4/3)', () => {
    const bytes = requestBytes([30_000, 30_000]);
    const actual = Buffer.byteLength(JSON.stringify({ v: 1, frames: [0, 1].map((i) => ({ id: `video-frame-${i}`.padEnd(16), image: Buffer.alloc(30_000).toString('base64') })) }));
    assert.ok(bytes >= actual, `estimate ${bytes} < actual ${actual}`);
    assert.ok(bytes < actual * 1.01);
  });
});

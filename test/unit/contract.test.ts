import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseErrorResponse, parseImageResponse, parseInvokeRequest, parseInvokeResponse, parseWarmupResponse, requestBytes, type InvokeRequest } from '../../src/core/contract.js';
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

  it('validates a response against its request and returns a fresh copy', () => {
    const good = {
      v: 1, model, timing,
      results: [
        { id: 'f1', status: 'ok', scores: { A: 0.3, B: 0.7 }, top: { label: 'B', score: 0.7 } },
        { id: 'f2', status: 'failed', code: 'INVALID_IMAGE', message: 'not a JPEG' },
      ],
    };
    const parsed = parseInvokeResponse(good, request);
    assert.deepEqual(parsed, good);
    assert.notEqual(parsed, good);
    const extra = { ...good, debug: true, results: [{ ...good.results[0], scores: { A: 0.3, B: 0.7, C: 9 }, note: 'x' }, good.results[1]] };
    assert.deepEqual(parseInvokeResponse(extra, request), good, 'fields outside the contract are dropped');

    const bad: Array<[unknown, RegExp]> = [
      [{ ...good, results: good.results.slice(0, 1) }, /^response "results" is missing 1 of 2 frames \("f2"\)$/],
      [{ ...good, results: [...good.results, good.results[0]] }, /^response "results\[2\]\.id" \("f1"\) is repeated$/],
      [{ ...good, results: [...good.results, { ...good.results[1], id: 'f9' }] }, /^response "results\[2\]\.id" \("f9"\) was not requested$/],
      [{ ...good, results: [{ id: 'f1', status: 'ok', scores: { A: 1 }, top: {} }, good.results[1]] }, /^response "results\[0\]\.scores\.B" is not a finite number$/],
      [{ ...good, results: [{ ...good.results[0], scores: { A: 0.3, B: '0.7' } }, good.results[1]] }, /"results\[0\]\.scores\.B" is not a finite number/],
      [{ ...good, results: [{ ...good.results[0], top: { label: 'C', score: 1 } }, good.results[1]] }, /"results\[0\]\.top\.label" \("C"\) is not one of the model's labels/],
      [{ ...good, results: [good.results[0], { id: 'f2', status: 'failed', code: 7, message: 'x' }] }, /"results\[1\]\.code" is not a string/],
      [{ ...good, results: [good.results[0], { id: 'f2', status: 'maybe' }] }, /"results\[1\]\.status" is "maybe", not "ok" or "failed"/],
      [{ ...good, results: {} }, /"results" is not a list/],
      [{ ...good, timing: {} }, /^response "timing\.coldStart" is not true or false$/],
      [{ ...good, timing: { ...timing, inferMs: -1 } }, /"timing\.inferMs" is not a non-negative number/],
      [{ ...good, model: { ...model, input: undefined } }, /^response "model\.input" is not an object$/],
      [{ ...good, model: { ...model, input: { width: 224.5, height: 224 } } }, /^response "model\.input\.width" is not a positive integer$/],
      [{ ...good, model: { ...model, labels: 'A,B' } }, /"model\.labels" is not a list/],
      [{ ...good, model: { ...model, labels: [] } }, /"model\.labels" is empty/],
      [{ ...good, model: { ...model, labels: ['A', 'A'] } }, /"model\.labels\[1\]" \("A"\) is repeated/],
      [{ ...good, model: { ...model, sha256: 'A'.repeat(64) } }, /"model\.sha256" is not a sha256 hex digest/],
      [{ ...good, v: 2 }, /"v" is 2, expected 1/],
      ['oops', /not a JSON object/],
    ];
    for (const [payload, message] of bad) {
      assert.throws(() => parseInvokeResponse(payload, request), (error: unknown) => error instanceof ContractError && message.test(error.message), message.source);
    }
  });

  it('passes a valid error response through for the caller to judge, and rejects a malformed one', () => {
    const error = { v: 1, error: { code: 'INVALID_REQUEST', message: 'request "frames" is empty' } };
    assert.deepEqual(parseInvokeResponse(error, request), error);
    assert.throws(() => parseInvokeResponse({ v: 1, error: { code: 'INVALID_REQUEST' } }, request), /"error\.message" is not a string/);
    assert.throws(() => parseInvokeResponse({ v: 1, error: { code: 'OOPS', message: 'x' } }, request), /"error\.code" is "OOPS", not one of/);
    assert.throws(() => parseInvokeResponse({ v: 1, error: 'boom' }, request), /"error" is not an object/);
    assert.equal(parseErrorResponse({ warm: true }), undefined);
    assert.deepEqual(parseErrorResponse({ v: 1, error: { code: 'INTERNAL', message: 'm', stack: 's' } }), { v: 1, error: { code: 'INTERNAL', message: 'm' } });
  });

  it('validates warm-up responses, the model in full when present', () => {
    assert.deepEqual(parseWarmupResponse({ warm: true, coldStart: true, initMs: 812 }), { warm: true, coldStart: true, initMs: 812 });
    assert.deepEqual(parseWarmupResponse({ warm: true, coldStart: false, initMs: 0, model, extra: 1 }), { warm: true, coldStart: false, initMs: 0, model });
    assert.throws(() => parseWarmupResponse({ warm: true }), /^ContractError: warm-up response "coldStart" is not true or false$/);
    assert.throws(() => parseWarmupResponse({ warm: true, coldStart: true, initMs: 1, model: { ...model, input: undefined } }), /^ContractError: warm-up response "model\.input" is not an object$/);
    assert.throws(() => parseWarmupResponse({ warm: true, coldStart: true, initMs: 1, model: { ...model, labels: [1] } }), /"model\.labels\[0\]" is not a string/);
  });

  it('validates the Function URL answer to one image', () => {
    const answer = { model, scores: { A: 0.25, B: 0.75 }, top: { label: 'B', score: 0.75 }, timing: { ...timing, coldStart: true } };
    assert.deepEqual(parseImageResponse(answer), answer);
    assert.throws(() => parseImageResponse({ ...answer, scores: { A: 0.25 } }), /^ContractError: Function URL response "scores\.B" is not a finite number$/);
    assert.throws(() => parseImageResponse({ ...answer, model: { ...model, name: '' } }), /"model\.name" is not a non-empty string/);
  });

  it('estimates request size from image sizes (base64 grows by 4/3)', () => {
    const bytes = requestBytes([30_000, 30_000]);
    const actual = Buffer.byteLength(JSON.stringify({ v: 1, frames: [0, 1].map((i) => ({ id: `video-frame-${i}`.padEnd(16), image: Buffer.alloc(30_000).toString('base64') })) }));
    assert.ok(bytes >= actual, `estimate ${bytes} < actual ${actual}`);
    assert.ok(bytes < actual * 1.01);
  });
});

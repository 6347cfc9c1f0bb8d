/**
 * Whatever a function answers, the response parsers either return a value that
 * holds to the contract or throw ContractError: never another error, never a
 * value a later reader could trip over. Inputs are arbitrary JSON and valid
 * responses with one field deleted, replaced by arbitrary JSON or duplicated,
 * so the properties reach deep fields, not only top-level garbage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CONTRACT_VERSION, isErrorResponse, parseErrorResponse, parseImageResponse, parseInvokeResponse, parseWarmupResponse,
  type ErrorResponse, type ImageResponse, type InvokeRequest, type InvokeResponse, type WarmupResponse,
} from '../../src/core/contract.js';
import { ContractError } from '../../src/core/errors.js';
import type { ModelIdentity } from '../../src/core/model-manifest.js';
import { batchAnswerCheck, fixtureRequest, modelCheck, scoresCheck } from '../../src/cli/smoke/batch-checks.js';
import type { SmokeFixtures } from '../../src/cli/smoke/fixtures.js';

const RUNS = 2000;

// ---- generators of valid answers -------------------------------------------------------------

/** What the CLI really gets: JSON.parse output (fast-check's records have a null prototype, JSON's do not). */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Labels include names that live on Object.prototype: a lookup must not mistake them for scores. */
const label = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Neutral'));
const model: fc.Arbitrary<ModelIdentity> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 16 }),
  version: fc.string({ maxLength: 8 }),
  sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
  labels: fc.uniqueArray(label, { minLength: 1, maxLength: 5 }),
  input: fc.record({ width: fc.integer({ min: 1, max: 4096 }), height: fc.integer({ min: 1, max: 4096 }) }),
});
const score = fc.double({ noNaN: true, noDefaultInfinity: true });
const ms = fc.double({ min: 0, max: 1e7, noNaN: true });
const id = fc.string({ minLength: 1, maxLength: 12 });
/** Arbitrary requests: ids may even repeat (the type allows it; parseInvokeRequest would refuse). */
const request: fc.Arbitrary<InvokeRequest> = fc.array(id, { minLength: 1, maxLength: 6 })
  .map((ids) => ({ v: CONTRACT_VERSION, frames: ids.map((frameId) => ({ id: frameId, image: 'AAAA' })) }));

function result(labels: readonly string[], frameId: string): fc.Arbitrary<unknown> {
  const ok = fc.record({
    scores: fc.tuple(...labels.map(() => score)).map((values) => Object.fromEntries(labels.map((name, i) => [name, values[i]!]))),
    top: fc.record({ label: fc.constantFrom(...labels), score }),
  }).map((scored) => ({ id: frameId, status: 'ok', ...scored }));
  const failed = fc.record({ code: fc.string({ maxLength: 20 }), message: fc.string({ maxLength: 40 }) }).map((why) => ({ id: frameId, status: 'failed', ...why }));
  return fc.oneof(ok, failed);
}

const timing = fc.record({ coldStart: fc.boolean(), initMs: ms, inferMs: ms });

function validInvokeResponse(forRequest: InvokeRequest): fc.Arbitrary<unknown> {
  const ids = [...new Set(forRequest.frames.map((frame) => frame.id))];
  return model.chain((identity) => fc.record({
    v: fc.constant(CONTRACT_VERSION),
    model: fc.constant(identity),
    // Any order: the contract does not promise the request's.
    results: fc.tuple(...ids.map((frameId) => result(identity.labels, frameId))).chain((results) => fc.shuffledSubarray(results, { minLength: results.length, maxLength: results.length })),
    timing,
  })).map(asJson);
}

const validErrorResponse = fc.record({
  v: fc.constant(CONTRACT_VERSION),
  error: fc.record({ code: fc.constantFrom('INVALID_REQUEST', 'MODEL_UNAVAILABLE', 'INTERNAL'), message: fc.string({ maxLength: 40 }) }),
}).map(asJson);

const validWarmupResponse = fc.record({ warm: fc.constant(true), coldStart: fc.boolean(), initMs: ms, model }, { requiredKeys: ['warm', 'coldStart', 'initMs'] }).map(asJson);

const validImageResponse = model.chain((identity) => fc.record({
  model: fc.constant(identity),
  scores: fc.tuple(...identity.labels.map(() => score)).map((values) => Object.fromEntries(identity.labels.map((name, i) => [name, values[i]!]))),
  top: fc.record({ label: fc.constantFrom(...identity.labels), score }),
  timing,
})).map(asJson);

// ---- mutations -------------------------------------------------------------------------------

type Path = ReadonlyArray<string | number>;

function paths(value: unknown, at: Path = []): Path[] {
  const children = Array.isArray(value) ? value.map((item, i) => paths(item, [...at, i])) : isObject(value) ? Object.entries(value).map(([key, item]) => paths(item, [...at, key])) : [];
  return [at, ...children.flat()];
}

/** One change at one place in a JSON tree: delete it, replace it with arbitrary JSON, or repeat an array element. */
function mutate(value: unknown, pick: number, kind: 'delete' | 'replace' | 'repeat', replacement: unknown): unknown {
  const copy = structuredClone(value);
  const all = paths(copy);
  const path = all[pick % all.length]!;
  if (path.length === 0) return kind === 'replace' ? replacement : copy;
  let parent: unknown = copy;
  for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[key];
  const key = path.at(-1)!;
  if (Array.isArray(parent) && typeof key === 'number') {
    if (kind === 'delete') parent.splice(key, 1);
    else if (kind === 'repeat') parent.push(structuredClone(parent[key]));
    else parent[key] = replacement;
  } else {
    const record = parent as Record<string, unknown>;
    if (kind === 'delete') delete record[key];
    // Repeating an object's field: put its value under another of the object's keys.
    else if (kind === 'repeat') record[Object.keys(record)[0] ?? key] = structuredClone(record[key]);
    else record[key] = replacement;
  }
  return copy;
}

function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.nat(), fc.constantFrom('delete' as const, 'replace' as const, 'repeat' as const), fc.jsonValue())
    .map(([value, pick, kind, replacement]) => mutate(value, pick, kind, replacement));
}

/** What the parsers are fed: garbage, valid answers, and valid answers with one thing wrong. */
function answers(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: fc.jsonValue(), weight: 1 }, { arbitrary: valid, weight: 1 }, { arbitrary: mutated(valid), weight: 4 });
}

// ---- invariants, checked on the returned value independently of the parser --------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertKeys(value: object, keys: readonly string[], where: string): void {
  assert.deepEqual(Object.keys(value).sort(), [...keys].sort(), `${where} has exactly ${keys.join(', ')}`);
}

function isDuration(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function assertModel(identity: ModelIdentity): void {
  assertKeys(identity, ['name', 'version', 'sha256', 'labels', 'input'], 'model');
  assert.ok(typeof identity.name === 'string' && identity.name.length > 0);
  assert.equal(typeof identity.version, 'string');
  assert.match(identity.sha256, /^[0-9a-f]{64}$/);
  assert.ok(Array.isArray(identity.labels) && identity.labels.length > 0);
  assert.ok(identity.labels.every((name) => typeof name === 'string'));
  assert.equal(new Set(identity.labels).size, identity.labels.length, 'labels are distinct');
  assertKeys(identity.input, ['width', 'height'], 'model.input');
  assert.ok(Number.isInteger(identity.input.width) && identity.input.width > 0);
  assert.ok(Number.isInteger(identity.input.height) && identity.input.height > 0);
}

function assertScored(scores: Readonly<Record<string, number>>, top: { label: string; score: number }, labels: readonly string[]): void {
  assertKeys(scores, labels, 'scores');
  for (const name of labels) assert.ok(Object.hasOwn(scores, name) && Number.isFinite(scores[name]), `score for ${name}`);
  assertKeys(top, ['label', 'score'], 'top');
  assert.ok(labels.includes(top.label));
  assert.ok(Number.isFinite(top.score));
}

function assertTiming(value: InvokeResponse['timing']): void {
  assertKeys(value, ['coldStart', 'initMs', 'inferMs'], 'timing');
  assert.equal(typeof value.coldStart, 'boolean');
  assert.ok(isDuration(value.initMs) && isDuration(value.inferMs));
}

function assertErrorResponse(response: ErrorResponse): void {
  assertKeys(response, ['v', 'error'], 'error response');
  assert.equal(response.v, CONTRACT_VERSION);
  assertKeys(response.error, ['code', 'message'], 'error');
  assert.ok(['INVALID_REQUEST', 'MODEL_UNAVAILABLE', 'INTERNAL'].includes(response.error.code));
  assert.equal(typeof response.error.message, 'string');
}

function assertInvokeResponse(response: InvokeResponse | ErrorResponse, sent: InvokeRequest): void {
  if (isErrorResponse(response)) return assertErrorResponse(response);
  assertKeys(response, ['v', 'model', 'results', 'timing'], 'response');
  assert.equal(response.v, CONTRACT_VERSION);
  assertModel(response.model);
  const ids = response.results.map((entry) => entry.id);
  assert.deepEqual([...ids].sort(), [...new Set(sent.frames.map((frame) => frame.id))].sort(), 'one result per requested frame, none extra or repeated');
  for (const entry of response.results) {
    if (entry.status === 'ok') {
      assertKeys(entry, ['id', 'status', 'scores', 'top'], 'ok result');
      assertScored(entry.scores, entry.top, response.model.labels);
    } else {
      assert.equal(entry.status, 'failed');
      assertKeys(entry, ['id', 'status', 'code', 'message'], 'failed result');
      assert.ok(typeof entry.code === 'string' && typeof entry.message === 'string');
    }
  }
  assertTiming(response.timing);
}

function assertWarmupResponse(response: WarmupResponse): void {
  assertKeys(response, response.model === undefined ? ['warm', 'coldStart', 'initMs'] : ['warm', 'coldStart', 'initMs', 'model'], 'warm-up response');
  assert.equal(response.warm, true);
  assert.equal(typeof response.coldStart, 'boolean');
  assert.ok(isDuration(response.initMs));
  if (response.model !== undefined) assertModel(response.model);
}

function assertImageResponse(response: ImageResponse): void {
  assertKeys(response, ['model', 'scores', 'top', 'timing'], 'Function URL response');
  assertModel(response.model);
  assertScored(response.scores, response.top, response.model.labels);
  assertTiming(response.timing);
}

/** Runs a parser: its value, or undefined for a ContractError naming what it rejected. Any other error fails the property. */
function parsed<T>(parse: () => T, subject: RegExp): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    assert.match(error.message, subject);
    return undefined;
  }
}

/** The parsers build their answer; a value from the payload must not be handed on by reference. */
function assertFresh(value: object, payload: unknown): void {
  assert.notEqual(value, payload);
  if (isObject(payload) && 'model' in value) assert.notEqual(value.model, payload.model);
}

// ---- properties ------------------------------------------------------------------------------

describe('wire contract properties', () => {
  it('valid answers parse to an equal, freshly built value', () => {
    fc.assert(fc.property(request.chain((sent) => fc.tuple(fc.constant(sent), validInvokeResponse(sent))), ([sent, payload]) => {
      const response = parseInvokeResponse(payload, sent);
      assert.deepEqual(response, payload);
      assertFresh(response, payload);
    }), { numRuns: RUNS / 4 });
    fc.assert(fc.property(validWarmupResponse, (payload) => assert.deepEqual(parseWarmupResponse(payload), payload)), { numRuns: RUNS / 4 });
    fc.assert(fc.property(validImageResponse, (payload) => assert.deepEqual(parseImageResponse(payload), payload)), { numRuns: RUNS / 4 });
  });

  it('parseInvokeResponse returns a valid response or throws ContractError, for any request', () => {
    const cases = request.chain((sent) => fc.tuple(fc.constant(sent), answers(fc.oneof({ arbitrary: validInvokeResponse(sent), weight: 5 }, validErrorResponse))));
    fc.assert(fc.property(cases, ([sent, payload]) => {
      const response = parsed(() => parseInvokeResponse(payload, sent), /^response\b/);
      if (response !== undefined) {
        assertInvokeResponse(response, sent);
        assertFresh(response, payload);
      }
    }), { numRuns: RUNS });
  });

  it('parseWarmupResponse and parseErrorResponse return a valid value or throw ContractError', () => {
    fc.assert(fc.property(answers(fc.oneof({ arbitrary: validWarmupResponse, weight: 4 }, validErrorResponse)), (payload) => {
      const error = parsed(() => parseErrorResponse(payload, 'warm-up response'), /^warm-up response\b/);
      if (error !== undefined) assertErrorResponse(error);
      const response = parsed(() => parseWarmupResponse(payload), /^warm-up response\b/);
      if (response !== undefined) {
        assertWarmupResponse(response);
        assertFresh(response, payload);
      }
    }), { numRuns: RUNS });
  });

  it('parseImageResponse (the Function URL answer) returns a valid value or throws ContractError', () => {
    fc.assert(fc.property(answers(validImageResponse), (payload) => {
      const response = parsed(() => parseImageResponse(payload), /^Function URL response\b/);
      if (response !== undefined) assertImageResponse(response);
    }), { numRuns: RUNS });
  });

  it('smoke judges any batch answer without throwing, and its later checks read only parsed values', () => {
    const cases = fc.tuple(model, fc.uniqueArray(id, { minLength: 1, maxLength: 4 })).chain(([identity, ids]) => {
      const fixtures: SmokeFixtures = {
        dir: 'fixtures',
        model: { name: identity.name, version: identity.version, sha256: identity.sha256, labels: identity.labels },
        frames: ids.map((frameId) => ({ id: frameId, jpeg: new Uint8Array([0xff, 0xd8]), scores: Object.fromEntries(identity.labels.map((name) => [name, 0.5])) })),
      };
      const sent = fixtureRequest(fixtures);
      const valid = validInvokeResponse(sent).map((payload) => ({ ...(payload as object), model: asJson(identity) }));
      return fc.tuple(fc.constant(fixtures), fc.constant(sent), answers(fc.oneof({ arbitrary: valid, weight: 5 }, validErrorResponse)));
    });
    fc.assert(fc.property(cases, ([fixtures, sent, payload]) => {
      const { result, response } = batchAnswerCheck(payload, sent, 12);
      assert.equal(result.name, 'invoke');
      assert.equal(result.status, response === undefined ? 'fail' : 'pass', result.summary);
      if (response === undefined) return;
      assertInvokeResponse(response, sent);
      assert.equal(modelCheck(response, fixtures).name, 'model');
      assert.equal(scoresCheck(response, fixtures, 1e-4).name, 'scores');
    }), { numRuns: RUNS });
  });
});

/** The episode function's pure decisions: message parsing, report keys, config rule, options hash, event details, batch responses, deadline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchResponse } from '../../src/lambda/episode/batch-response.js';
import { deadlineMarginMs, runBudgetMs } from '../../src/lambda/episode/deadline.js';
import { configKeys, outsideInput, prefixesOverlap, reportKeys } from '../../src/core/episode/keys.js';
import { objectArn, parseMessageBody, submitMessage } from '../../src/core/episode/object-ref.js';
import { reportShapeProblem } from '../../src/core/episode/stored-report.js';
import { applyOverride, EpisodeConfigError, optionsFromEnv, optionsHash } from '../../src/lambda/episode/options.js';
import { failedDetail, FINAL_CAUSES, isFinal, RETRIED_CAUSES } from '../../src/lambda/episode/outcome.js';
import { settingsFromEnv } from '../../src/lambda/episode/settings.js';
import { objectCreatedEvent } from './events.js';

const DEFAULTS = optionsFromEnv({ EVERY: '1', THRESHOLD: '0.5', CLASSIFIER_CONCURRENCY: '50' });

test('an S3 Object Created event and a submit message name the same object; anything else is a problem, not a crash', () => {
  const fromEvent = parseMessageBody(JSON.stringify(objectCreatedEvent('media', 'incoming/a b+c.mp4', 'abc-2', 10, 'v1')));
  assert.deepEqual(fromEvent, { ok: true, ref: { bucket: 'media', key: 'incoming/a b+c.mp4', etag: 'abc-2', versionId: 'v1', size: 10, origin: 'eventbridge' } });
  const fromSubmit = parseMessageBody(JSON.stringify(submitMessage({ bucket: 'media', key: 'archive/x.mp4', etag: '"quoted"' })));
  assert.deepEqual(fromSubmit, { ok: true, ref: { bucket: 'media', key: 'archive/x.mp4', etag: 'quoted', versionId: undefined, size: undefined, origin: 'submit' } });
  for (const body of ['', 'null', '[]', '{}', '{"source":"aws.s3","detail-type":"Object Deleted","detail":{}}', '{"source":"aws.s3","detail-type":"Object Created"}',
    '{"framescore":"episode","v":2,"bucket":"b","key":"k"}', '{"framescore":"episode","v":1,"bucket":"","key":"k"}']) {
    const parsed = parseMessageBody(body);
    assert.equal(parsed.ok, false, body);
  }
});

test('report keys carry the version (else the ETag) and the options hash; other versions and options get other keys', () => {
  const byEtag = reportKeys('framescore/', 'incoming/ep1.mp4', { etag: '9b2c-3' }, '0123456789ab');
  assert.deepEqual(byEtag, { json: 'framescore/incoming/ep1.mp4/e-9b2c-3.0123456789ab.json', csv: 'framescore/incoming/ep1.mp4/e-9b2c-3.0123456789ab.csv', html: 'framescore/incoming/ep1.mp4/e-9b2c-3.0123456789ab.html' });
  assert.equal(reportKeys('framescore/', 'incoming/ep1.mp4', { etag: 'x', versionId: 'Ab.c_1' }, 'h').json, 'framescore/incoming/ep1.mp4/v-Ab.c_1.h.json');
  // An unversioned object in a versioned bucket has version "null": the ETag names it.
  assert.equal(reportKeys('framescore/', 'k.mp4', { etag: 'x', versionId: 'null' }, 'h').json, 'framescore/k.mp4/e-x.h.json');
  const base = optionsHash(DEFAULTS, 'framescore-classifier', 'aa11');
  assert.match(base, /^[0-9a-f]{12}$/);
  assert.equal(optionsHash({ ...DEFAULTS, concurrency: 5, sampleOn: 'local' }, 'framescore-classifier', 'aa11'), base, 'how fast is not what');
  for (const changed of [{ ...DEFAULTS, every: 2 }, { ...DEFAULTS, threshold: 0.6 }, { ...DEFAULTS, keyframes: true }]) assert.notEqual(optionsHash(changed, 'framescore-classifier', 'aa11'), base);
  assert.notEqual(optionsHash(DEFAULTS, 'other-classifier', 'aa11'), base);
  assert.notEqual(optionsHash(DEFAULTS, 'framescore-classifier', 'bb22'), base, 'a redeployed model is another report');
  // A partial report (failed frames on the last delivery) never takes the complete report's keys.
  assert.equal(reportKeys('framescore/', 'k.mp4', { etag: 'x' }, 'h', { partial: true }).json, 'framescore/k.mp4/e-x.h.partial.json');
});

test('the nearest _framescore.json wins: candidates from the object\'s folder up to the root prefix', () => {
  assert.deepEqual(configKeys('incoming/show/s01/ep1.mp4', 'incoming/'), ['incoming/show/s01/_framescore.json', 'incoming/show/_framescore.json', 'incoming/_framescore.json']);
  assert.deepEqual(configKeys('ep1.mp4', ''), ['_framescore.json']);
  assert.deepEqual(configKeys('a/ep1.mp4', ''), ['a/_framescore.json', '_framescore.json']);
  assert.deepEqual(configKeys('other/ep1.mp4', 'incoming/'), []);
});

test('config overrides: known keys replace the stack\'s, every and frames replace each other, anything else is refused', () => {
  assert.equal(applyOverride(DEFAULTS, { concurrency: 500 }, 'c').concurrency, 50, 'a folder cannot raise the stack\'s ClassifierConcurrency');
  assert.equal(applyOverride(DEFAULTS, { concurrency: 5 }, 'c').concurrency, 5);
  assert.deepEqual(applyOverride(DEFAULTS, { frames: 10 }, 'c'), { frames: 10, threshold: 0.5, keyframes: false, sampleOn: 'auto', concurrency: 50 });
  assert.deepEqual(applyOverride({ ...DEFAULTS, every: undefined, frames: 150 }, { every: 2, keyframes: true }, 'c'), { every: 2, threshold: 0.5, keyframes: true, sampleOn: 'auto', concurrency: 50 });
  for (const bad of [[], 'x', null, { frame: 3 }, { every: -1 }, { every: 1, frames: 2 }, { threshold: 2 }, { sampleOn: 'gpu' }, { concurrency: 0 }, { keyframes: 'yes' }]) {
    assert.throws(() => applyOverride(DEFAULTS, bad, 'config s3://b/_framescore.json'), EpisodeConfigError, JSON.stringify(bad));
  }
  assert.throws(() => optionsFromEnv({ EVERY: 'often' }), /EVERY="often" is not a number/);
});

test('which objects the flow takes, and overlapping prefixes', () => {
  const prefixes = { bucket: 'media', inputPrefix: 'incoming/', videoPrefix: '', reportPrefix: 'framescore/' };
  assert.equal(outsideInput({ bucket: 'media', key: 'incoming/a.mp4', origin: 'eventbridge' }, prefixes), undefined);
  assert.equal(outsideInput({ bucket: 'media', key: 'archive/a.mp4', origin: 'submit' }, prefixes), undefined);
  assert.match(outsideInput({ bucket: 'media', key: 'archive/a.mp4', origin: 'eventbridge' }, prefixes)!, /not under the input prefix/);
  assert.match(outsideInput({ bucket: 'media', key: 'framescore/a.mp4', origin: 'submit' }, prefixes)!, /under the report prefix/);
  assert.match(outsideInput({ bucket: 'other', key: 'incoming/a.mp4', origin: 'eventbridge' }, prefixes)!, /not the stack's video bucket/);
  assert.match(outsideInput({ bucket: 'media', key: 'archive/a.mp4', origin: 'submit' }, { ...prefixes, videoPrefix: 'incoming/' })!, /classifier may read/);
  assert.ok(prefixesOverlap('a/', 'a/b/') && prefixesOverlap('', 'x/') && !prefixesOverlap('a/', 'ab/'));
  assert.throws(() => settingsFromEnv({ VIDEO_BUCKET: 'media', INPUT_PREFIX: 'in/', REPORT_PREFIX: 'in/reports/', CLASSIFIER_FUNCTION: 'c' }), /overlap/);
  assert.throws(() => settingsFromEnv({ VIDEO_BUCKET: 'media', INPUT_PREFIX: 'in/', REPORT_PREFIX: 'out/' }), /CLASSIFIER_FUNCTION is not set/);
});

test('failure details: final causes are not retried; retried ones say when the next delivery is the dead-letter queue', () => {
  for (const code of FINAL_CAUSES) assert.ok(isFinal(code));
  for (const code of RETRIED_CAUSES) assert.ok(!isFinal(code));
  const ref = { bucket: 'media', key: 'incoming/a.mp4', etag: 'abc', origin: 'eventbridge' as const };
  const first = failedDetail(ref, { code: 'DEADLINE', message: 'm' }, { receiveCount: 1, maxReceiveCount: 3 });
  assert.deepEqual([first.willRetry, first.deadLettered, first.input, first.etag], [true, false, 's3://media/incoming/a.mp4', 'abc']);
  const last = failedDetail(ref, { code: 'DEADLINE', message: 'm' }, { receiveCount: 3, maxReceiveCount: 3 });
  assert.deepEqual([last.willRetry, last.deadLettered], [false, true]);
  const final = failedDetail(undefined, { code: 'INVALID_MESSAGE', message: 'm' }, { receiveCount: 3, maxReceiveCount: 3 });
  assert.deepEqual([final.willRetry, final.deadLettered, final.input], [false, false, null]);
  assert.deepEqual(batchResponse([]), { batchItemFailures: [] });
  assert.deepEqual(batchResponse(['m1']), { batchItemFailures: [{ itemIdentifier: 'm1' }] });
});

test('the run stops max(10 s, 10 %) before the function\'s timeout', () => {
  assert.equal(deadlineMarginMs(900_000), 90_000);
  assert.equal(runBudgetMs(900_000), 810_000);
  assert.equal(runBudgetMs(20_000), 10_000);
  assert.equal(runBudgetMs(5_000), 0);
});

test('a stored report is checked before it is read: a foreign or old-schema JSON is named, not a TypeError', () => {
  const report = {
    summary: { frames: { total: 1, ok: 1, failed: 0 }, labels: { Neutral: { max: 0.9, maxTime: 0, framesOverThreshold: 1 } }, segments: [], threshold: 0.5 },
    model: { name: 'm', version: '1', sha256: 'aa' }, video: { duration: 1 }, run: { wallMs: 1 }, frames: [{ index: 0 }],
  };
  assert.equal(reportShapeProblem(report), undefined);
  assert.match(reportShapeProblem({ hello: 'world' })!, /no summary/);
  assert.match(reportShapeProblem([])!, /not a JSON object/);
  assert.match(reportShapeProblem({ ...report, model: { name: 'm' } })!, /no model/);
  assert.match(reportShapeProblem({ ...report, summary: { ...report.summary, frames: 6 } })!, /summary\.frames/);
  assert.equal(objectArn({ bucket: 'media', key: 'framescore/a b.json' }), 'arn:aws:s3:::media/framescore/a b.json');
});

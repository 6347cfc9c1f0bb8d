/** Smoke pieces that need no function: the checked-in fixtures, score comparison, JUnit XML, the text report, signing hosts. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { compareScores, median } from '../../src/cli/smoke/compare.js';
import { loadSmokeFixtures } from '../../src/cli/smoke/fixtures.js';
import { renderJunit, xml } from '../../src/cli/smoke/junit.js';
import { renderText } from '../../src/cli/smoke/render.js';
import { check, type SmokeResult } from '../../src/cli/smoke/result.js';
import { regionOfUrl, signingService } from '../../src/cli/smoke/sign-request.js';
import { bundledModelIdentity } from '../helpers/fake-invoke-server.js';
import { FIXTURES_DIR, readExpected, repoRoot } from './support.js';

// That the real handler returns the expected scores is checked in offline.test.ts.
test('the checked-in fixtures load, match their sha256s, and were scored with the bundled model', async () => {
  const fixtures = await loadSmokeFixtures(FIXTURES_DIR);
  const model = await bundledModelIdentity(path.join(repoRoot, 'models', 'nsfw-mobilenet-v2'));
  assert.equal(fixtures.model.sha256, model.sha256, 'model changed: regenerate with node dist/scripts/make-smoke-fixtures.js');
  assert.deepEqual(fixtures.model.labels, model.labels);
  assert.ok(fixtures.frames.length >= 3);
  // Different enough that a mix-up moves a score: not all frames share a top label.
  const expected = await readExpected();
  assert.ok(new Set(expected.frames.map((frame) => frame.top.label)).size >= 2);
});

test('scores are compared label by label; a missing label is a difference', () => {
  const same = compareScores('a', { X: 0.5, Y: 0.5 }, { X: 0.50004, Y: 0.49996 }, 1e-4);
  assert.deepEqual(same.differences, []);
  assert.ok(same.largest > 3e-5 && same.largest < 5e-5);
  const off = compareScores('b', { X: 0.5, Y: 0.5 }, { X: 0.7 }, 1e-4);
  assert.deepEqual(off.differences, ['b: X expected 0.500000, got 0.700000 (off by 0.200000, tolerance 0.0001)', 'b: no score for Y (expected 0.500000)']);
  assert.equal(compareScores('c', { X: 0.5 }, { X: Number.NaN }, 1).differences.length, 1, 'NaN never passes');
  assert.equal(median([300, 100, 200]), 200);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

const result: SmokeResult = {
  function: 'fn<&>"',
  qualifier: 'live',
  startedAt: '2026-11-26T06:00:00.000Z',
  durationMs: 1234,
  passed: false,
  checks: [
    check('invoke', 'pass', '4 frames answered in 812 ms', { durationMs: 812 }),
    check('scores', 'fail', '1 of 4 frames differ', { details: ['a: X expected 0.5 <got> 0.7 & "more"\u0007'] }),
    check('warm-latency', 'skip', 'not checked'),
  ],
};

test('JUnit XML has a testcase per check, failures with their diff, skips, and escapes everything', () => {
  const text = renderJunit(result);
  assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="framescore smoke" tests="3" failures="1" skipped="1" time="1.234">/);
  assert.match(text, /<testsuite name="framescore smoke fn&lt;&amp;&gt;&quot;:live" tests="3" failures="1" errors="0" skipped="1"/);
  assert.match(text, /<testcase classname="framescore.smoke" name="invoke" time="0.812">/);
  assert.match(text, /<failure message="1 of 4 frames differ" type="SmokeCheckFailed">1 of 4 frames differ\na: X expected 0.5 &lt;got&gt; 0.7 &amp; &quot;more&quot;<\/failure>/);
  assert.match(text, /<skipped message="not checked"\/>/);
  assert.equal(xml('\u0000a\u001fb\tc'), 'ab\tc', 'characters XML 1.0 forbids are dropped');
});

test('the text report puts each diff line under its check and ends with the totals', () => {
  assert.equal(renderText(result), [
    'framescore smoke: fn<&>":live',
    'PASS  invoke        4 frames answered in 812 ms',
    'FAIL  scores        1 of 4 frames differ',
    '                    a: X expected 0.5 <got> 0.7 & "more"\u0007',
    'SKIP  warm-latency  not checked',
    'FAILED: 1 passed, 1 failed, 1 skipped in 1.2 s',
    '',
  ].join('\n'));
});

test('Function URL and API Gateway hosts give the signing region and service', () => {
  const lambdaUrl = new URL('https://abcdefghijklmnop.lambda-url.eu-west-2.on.aws/');
  const apiUrl = new URL('https://a1b2c3.execute-api.ap-southeast-1.amazonaws.com/classify');
  assert.deepEqual([regionOfUrl(lambdaUrl), signingService(lambdaUrl)], ['eu-west-2', 'lambda']);
  assert.deepEqual([regionOfUrl(apiUrl), signingService(apiUrl)], ['ap-southeast-1', 'execute-api']);
  assert.equal(regionOfUrl(new URL('http://127.0.0.1:3003/classify')), undefined);
});

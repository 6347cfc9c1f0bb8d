/** The fixture script regenerates the smoke fixtures, and the checked-in ones load and match the bundled model. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { loadSmokeFixtures, sha256Hex } from '../../src/cli/smoke/fixtures.js';
import { bundledModelIdentity } from '../helpers/fake-invoke-server.js';
import { tempDir } from '../report/cli.js';
import { FIXTURES_DIR, readExpected, repoRoot } from './support.js';

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

test('make-smoke-fixtures writes JPEGs and expected scores; same images give the same scores', async () => {
  const out = await tempDir('smoke-fixtures');
  try {
    await promisify(execFile)(process.execPath, [path.join(repoRoot, 'dist', 'scripts', 'make-smoke-fixtures.js'), '--out', out]);
    const made = await loadSmokeFixtures(out);
    const checkedIn = await readExpected();
    assert.deepEqual(made.frames.map((frame) => frame.id), checkedIn.frames.map((frame) => frame.id));
    let compared = 0;
    for (const frame of made.frames) {
      const total = Object.values(frame.scores).reduce((sum, score) => sum + score, 0);
      assert.ok(Math.abs(total - 1) < 1e-4, `${frame.id} scores sum to ${total}`);
      const original = checkedIn.frames.find((candidate) => candidate.id === frame.id)!;
      // ffmpeg builds may encode the test patterns differently; identical bytes must score identically.
      if (sha256Hex(frame.jpeg) !== original.sha256) continue;
      assert.deepEqual(frame.scores, original.scores, frame.id);
      compared += 1;
    }
    assert.ok(compared > 0, 'at least one fixture came out byte-identical, so the scores were compared');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

/** Shared by the smoke tests: the CLI as a subprocess, the fixtures, and a fake function that scores them as expected. */
import { isEncoded } from '../../src/core/image-decode.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageResult } from '../../src/core/classifier.js';
import { sha256Hex } from '../../src/core/model-files.js';
import type { ModelIdentity } from '../../src/core/model-manifest.js';
import type { ExpectedFixtures } from '../../src/cli/smoke/fixtures.js';
import type { FakeClassifier } from '../helpers/fake-invoke-server.js';
import { repoRoot, runCli, type CliRun } from '../report/cli.js';

export { repoRoot };
export const FIXTURES_DIR = path.join(repoRoot, 'test', 'fixtures', 'smoke');

/** Dummy credentials: neither serverless-offline nor the fake server checks signatures. */
export const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1',
  // Nothing from this machine's AWS set-up, and never the instance metadata address.
  AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', AWS_PROFILE: '',
} as const;

export function smoke(args: readonly string[]): Promise<CliRun> {
  return runCli(['smoke', ...args], AWS_ENV);
}

export async function readExpected(): Promise<ExpectedFixtures> {
  return JSON.parse(await readFile(path.join(FIXTURES_DIR, 'expected.json'), 'utf8')) as ExpectedFixtures;
}

/**
 * A classifier that answers each fixture frame with its expected scores (found
 * by the JPEG's sha256), optionally altered: a healthy function without
 * TensorFlow, and the base for wrong-score and wrong-model faults.
 */
export function fixtureClassifier(expected: ExpectedFixtures, model: ModelIdentity, alter: (scores: Record<string, number>) => Record<string, number> = (scores) => scores): FakeClassifier {
  const bySha = new Map(expected.frames.map((frame) => [frame.sha256, frame.scores]));
  return {
    model,
    classify: (images) => images.map((image): ImageResult => {
      const scores = isEncoded(image) ? bySha.get(sha256Hex(image)) : undefined;
      if (scores === undefined) return { status: 'failed', code: 'INVALID_IMAGE', message: 'not a fixture frame' };
      const altered = alter({ ...scores });
      const top = Object.entries(altered).reduce((best, [label, score]) => (score > best.score ? { label, score } : best), { label: '', score: -1 });
      return { status: 'ok', scores: altered, top };
    }),
  };
}

/** The lines of the text report that start with PASS, FAIL or SKIP, as "STATUS name". */
export function checkLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^(PASS|FAIL|SKIP) /.test(line)).map((line) => line.split(/\s+/).slice(0, 2).join(' '));
}

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Scores } from '../../core/classifier.js';
import { errorMessage, InputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/model-files.js';
import { isRecord } from '../../core/model-manifest.js';
import { PACKAGE_ROOT } from '../../run/paths.js';

export const SMOKE_FIXTURES_SCHEMA = 'framescore-smoke-fixtures/1';
export const EXPECTED_FILE = 'expected.json';
/** Bundled fixtures; FRAMESCORE_SMOKE_FIXTURES points elsewhere (e.g. fixtures for a custom model). */
export const DEFAULT_FIXTURES_DIR = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'smoke');

/** expected.json: what local mode scored for each fixture frame, and with which model. */
export interface ExpectedFixtures {
  readonly schema: typeof SMOKE_FIXTURES_SCHEMA;
  readonly generatedBy: string;
  readonly model: { readonly name: string; readonly version: string; readonly sha256: string; readonly labels: readonly string[] };
  readonly frames: ReadonlyArray<{
    readonly id: string;
    readonly file: string;
    /** sha256 of the JPEG, so an edited fixture is caught instead of failing the scores check. */
    readonly sha256: string;
    readonly scores: Scores;
    readonly top: { readonly label: string; readonly score: number };
  }>;
}

export interface SmokeFrame {
  readonly id: string;
  readonly jpeg: Uint8Array;
  readonly scores: Scores;
}

export interface SmokeFixtures {
  readonly dir: string;
  readonly model: ExpectedFixtures['model'];
  readonly frames: readonly SmokeFrame[];
}


export async function loadSmokeFixtures(dir: string): Promise<SmokeFixtures> {
  const file = path.join(dir, EXPECTED_FILE);
  let expected: unknown;
  try {
    expected = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read smoke fixtures "${file}": ${errorMessage(error)} (regenerate with node dist/scripts/make-smoke-fixtures.js)`, { cause: error });
  }
  if (!isRecord(expected) || expected.schema !== SMOKE_FIXTURES_SCHEMA || !isRecord(expected.model) || !Array.isArray(expected.frames) || expected.frames.length === 0) {
    throw new InputError(`smoke fixtures "${file}" are not ${SMOKE_FIXTURES_SCHEMA} with a model and frames`);
  }
  const fixtures = expected as unknown as ExpectedFixtures;
  const frames = await Promise.all(fixtures.frames.map(async (frame) => {
    const image = path.join(dir, frame.file);
    const jpeg = new Uint8Array(await readFile(image).catch((error: unknown) => {
      throw new InputError(`cannot read smoke fixture "${image}": ${errorMessage(error)}`, { cause: error });
    }));
    if (sha256Hex(jpeg) !== frame.sha256) throw new InputError(`smoke fixture "${image}" changed since ${EXPECTED_FILE} was written; regenerate with node dist/scripts/make-smoke-fixtures.js`);
    return { id: frame.id, jpeg, scores: frame.scores };
  }));
  return { dir, model: fixtures.model, frames };
}

/**
 * Makes the frames `framescore smoke` sends to a deployed function, and the
 * scores it expects back: small 224×224 JPEGs drawn by ffmpeg's test sources,
 * scored in local mode (worker pool, wasm backend, as the Lambda runs) with
 * the bundled model. Writes test/fixtures/smoke/*.jpg and expected.json.
 *   node dist/scripts/make-smoke-fixtures.js [--model DIR] [--out DIR]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FrameResult, SampledFrame } from '../src/core/results.js';
import { resolveBinaries } from '../src/media/binaries.js';
import { runProcess } from '../src/media/process.js';
import { LocalScorer } from '../src/run/local/pool.js';
import { DEFAULT_MODEL_DIR, PACKAGE_ROOT } from '../src/run/paths.js';
import { sha256Hex } from '../src/core/model-files.js';
import { DEFAULT_FIXTURES_DIR, EXPECTED_FILE, SMOKE_FIXTURES_SCHEMA, type ExpectedFixtures } from '../src/cli/smoke/fixtures.js';

/** Different enough that a model mix-up moves at least one score a lot. */
const SOURCES = [
  ['testsrc2', 'testsrc2=size=224x224:rate=1'],
  ['smptebars', 'smptebars=size=224x224:rate=1'],
  ['mandelbrot', 'mandelbrot=size=224x224:rate=1'],
  // Smooth colour waves drawn by a formula (ffmpeg's `gradients` source is random even with a seed).
  ['waves', "nullsrc=size=224x224:rate=1,geq=r='128+100*sin(X/20)':g='110+80*cos(Y/15)':b='90+60*sin((X+Y)/30)'"],
] as const;

const { values } = parseArgs({ options: { model: { type: 'string' }, out: { type: 'string' } } });
const modelDir = path.resolve(values.model ?? DEFAULT_MODEL_DIR);
const out = path.resolve(values.out ?? DEFAULT_FIXTURES_DIR);
await mkdir(out, { recursive: true });

const frames: Array<{ id: string; file: string; jpeg: Uint8Array }> = [];
for (const [id, source] of SOURCES) {
  const file = `${id}.jpg`;
  // The ffmpeg framescore resolves (the npm static build on a machine without one), with the product's environment.
  await runProcess(resolveBinaries().ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-q:v', '4', path.join(out, file)]);
  frames.push({ id, file, jpeg: new Uint8Array(await readFile(path.join(out, file))) });
}

const scorer = await LocalScorer.start({ workers: 1, backend: 'wasm', modelDir, batchSize: frames.length });
async function* sampled(): AsyncGenerator<SampledFrame> {
  for (const [index, frame] of frames.entries()) yield { index, requestedTime: 0, actualTime: 0, status: 'sampled', image: frame.jpeg };
}
const results = new Map<number, FrameResult>();
try {
  for await (const result of scorer.score(sampled())) results.set(result.index, result);
} finally {
  await scorer.close();
}

const expected: ExpectedFixtures = {
  schema: SMOKE_FIXTURES_SCHEMA,
  generatedBy: `scripts/make-smoke-fixtures.ts: local mode, ${scorer.description}, model ${path.relative(PACKAGE_ROOT, modelDir) || modelDir}`,
  model: { name: scorer.model.name, version: scorer.model.version, sha256: scorer.model.sha256, labels: scorer.model.labels },
  frames: frames.map((frame, index) => {
    const result = results.get(index);
    if (result?.status !== 'ok') throw new Error(`fixture ${frame.file} was not scored: ${result?.status === 'failed' ? result.message : 'no result'}`);
    return { id: frame.id, file: frame.file, sha256: sha256Hex(frame.jpeg), scores: result.scores, top: result.top };
  }),
};
await writeFile(path.join(out, EXPECTED_FILE), `${JSON.stringify(expected, null, 2)}\n`);
console.log(`wrote ${frames.length} frames and ${EXPECTED_FILE} to ${out} (model ${expected.model.name}, sha256 ${expected.model.sha256.slice(0, 12)}…)`);

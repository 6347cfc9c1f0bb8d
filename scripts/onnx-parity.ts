/**
 * Runs a model on TF.js (the active backend, through the Classifier) and its ONNX
 * conversion on onnxruntime-node with the same preprocessed input, and compares the
 * scores. Used by build-model.ts to refuse a model.onnx that drifts, and by the
 * onnx-export tests.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Classifier } from '../src/core/classifier.js';
import { loadOnnxEngine } from '../src/core/engines/onnx.js';
import { decodeImage, type RgbImage } from '../src/core/image-decode.js';
import type { ModelBundle } from '../src/core/model-files.js';

export const PARITY_TOLERANCE = 1e-4;

export interface ParityImage {
  readonly name: string;
  readonly image: RgbImage;
}

export interface ParityRow {
  readonly name: string;
  readonly maxDiff: number;
  readonly tfjs: Record<string, number>;
  readonly onnx: Record<string, number>;
  readonly tfjsTop: string;
  readonly onnxTop: string;
}

export interface OnnxCandidate {
  readonly bytes: Uint8Array;
  readonly inputName: string;
  readonly outputName: string;
}

/** The real photographs and the synthetic smoke frames under test/fixtures. */
export async function loadParityImages(root: string): Promise<ParityImage[]> {
  const images: ParityImage[] = [];
  for (const dir of ['test/fixtures/photos', 'test/fixtures/smoke']) {
    const names = (await readdir(path.join(root, dir))).filter((name) => /\.(png|jpe?g)$/i.test(name)).sort();
    for (const name of names) images.push({ name: `${dir}/${name}`, image: decodeImage(await readFile(path.join(root, dir, name))) });
  }
  return images;
}

/** Scores every image with both engines through the Classifier (the same preprocessing), `batch` images per run. */
export async function compareOnnxWithTfjs(bundle: ModelBundle, candidate: OnnxCandidate, images: readonly ParityImage[], batch = 1): Promise<ParityRow[]> {
  const tfjs = await Classifier.load(bundle);
  const onnx = await Classifier.load({ ...bundle, onnx: { bytes: candidate.bytes, layout: 'NHWC' } }, (b) => loadOnnxEngine(b));
  const labels = bundle.manifest.labels;
  const rows: ParityRow[] = [];
  try {
    for (let start = 0; start < images.length; start += batch) {
      const chunk = images.slice(start, start + batch);
      const expected = await tfjs.classifyPixels(chunk.map((entry) => entry.image));
      const actual = await onnx.classifyPixels(chunk.map((entry) => entry.image));
      chunk.forEach((entry, row) => {
        const scores = actual[row]!.scores;
        const reference = expected[row]!.scores;
        const maxDiff = Math.max(...labels.map((label) => Math.abs(scores[label]! - reference[label]!)));
        rows.push({ name: entry.name, maxDiff, tfjs: reference, onnx: scores, tfjsTop: expected[row]!.top.label, onnxTop: actual[row]!.top.label });
      });
    }
  } finally {
    tfjs.dispose();
    onnx.dispose();
  }
  return rows;
}

/** Why the rows fail the parity check (empty when they pass). */
export function parityFailures(rows: readonly ParityRow[], tolerance = PARITY_TOLERANCE): string[] {
  return rows.flatMap((row) => {
    const problems: string[] = [];
    if (!(row.maxDiff <= tolerance)) problems.push(`${row.name}: a score differs by ${row.maxDiff.toExponential(2)} (limit ${tolerance})`);
    if (row.onnxTop !== row.tfjsTop) problems.push(`${row.name}: top label ${row.onnxTop} on ONNX, ${row.tfjsTop} on TF.js`);
    return problems;
  });
}

/**
 * Where a warm one-frame invocation spends its time, stage by stage, with the
 * function's own code (the modules its bundle is built from) in this process: the
 * runtime's JSON parse and the contract's validation, base64, JPEG decode (or inflate
 * for a lossless frame), preprocessing to the model's input, and the ONNX Runtime run
 * with as many intra-op threads as cores (as the function sets them). Stages are
 * interleaved round by round; medians. Used by lambda.bench.ts.
 */
import os from 'node:os';
import { Classifier } from '../src/core/classifier.js';
import { parseInvokeRequest } from '../src/core/contract.js';
import { loadOnnxEngine } from '../src/core/engines/onnx.js';
import { decodeImage } from '../src/core/image-decode.js';
import { directoryModelFiles } from '../src/core/model-directory.js';
import { readModelBundle } from '../src/core/model-files.js';
import { toModelInput } from '../src/core/preprocess.js';
import { fromWirePixels, toWireImage } from '../src/core/wire-image.js';
import { decodeBase64 } from '../src/lambda/base64.js';

const ROUNDS = 300;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Prints the median of each stage for one JPEG frame and one lossless frame of the same picture. */
export async function measureStages(modelDir: string, jpeg: Uint8Array): Promise<void> {
  const bundle = await readModelBundle(directoryModelFiles(modelDir));
  const engine = await loadOnnxEngine(bundle, { threads: os.availableParallelism() });
  const classifier = await Classifier.load(bundle, () => Promise.resolve(engine));
  const rgb = decodeImage(jpeg);
  const jpegText = JSON.stringify({ v: 1, frames: [{ id: 'f', image: Buffer.from(jpeg).toString('base64') }] });
  const pixelsText = JSON.stringify({ v: 2, frames: [{ id: 'f', pixels: await toWireImage(rgb).then((wire) => ('pixels' in wire ? wire.pixels : undefined)) }] });
  const input = toModelInput([rgb], bundle.manifest, 'crop');
  const stages: Record<string, () => unknown> = {
    'JSON parse + validate (JPEG request)': () => parseInvokeRequest(JSON.parse(jpegText)),
    'JSON parse + validate (lossless request)': () => parseInvokeRequest(JSON.parse(pixelsText)),
    'base64 (JPEG, strict)': () => {
      const frame = (JSON.parse(jpegText) as { frames: Array<{ image: string }> }).frames[0]!;
      return decodeBase64(frame.image);
    },
    'JPEG decode (jpeg-js)': () => decodeImage(jpeg),
    'base64 + inflate (lossless)': () => {
      const frame = (JSON.parse(pixelsText) as { frames: Array<{ pixels: { width: number; height: number; data: string } }> }).frames[0]!;
      return fromWirePixels(frame.pixels, decodeBase64(frame.pixels.data));
    },
    'preprocess (normalise to float32)': () => toModelInput([rgb], bundle.manifest, 'crop'),
    'ONNX Runtime run': () => engine.run(input, 1),
    'whole: classify([JPEG bytes])': () => classifier.classify([jpeg]),
  };
  const times = new Map<string, number[]>(Object.keys(stages).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, stage] of Object.entries(stages)) {
      const started = performance.now();
      await stage();
      times.get(name)!.push(performance.now() - started);
    }
  }
  classifier.dispose();
  console.log(`\nwarm 1-frame by stage (${ROUNDS} interleaved rounds in this process, ${engine.name}; median ms):`);
  for (const [name, values] of times) console.log(`  ${name.padEnd(42)} ${median(values).toFixed(3).padStart(8)}`);
}

/**
 * Writes the default model (the MobileNetV2 that the MIT-licensed nsfwjs package
 * ships as base64 inside .min.js files) out as a standard TF.js model directory
 * with a framescore manifest: models/nsfw-mobilenet-v2/. Runs on `npm run build`.
 * It also converts the model to ONNX (model.onnx, recorded in the manifest's
 * optional "onnx" field, outside the TF.js identity) and fails unless
 * onnxruntime-node and TF.js score the test photographs alike.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { directoryModelFiles, DEFAULT_MODEL_NAME } from '../src/core/model-directory.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA, type ModelManifest } from '../src/core/model-manifest.js';
import { digestModel, readModelBundle, sha256Hex } from '../src/core/model-files.js';
import { layersModelToOnnx } from '../src/onnx-export/index.js';
import { activateBackend } from '../src/core/tf-backend.js';
import { wasmDirectory } from '../src/run/local/backend.js';
import { compareOnnxWithTfjs, loadParityImages, parityFailures } from './onnx-parity.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
// nsfwjs does not export package.json; its CJS entry is dist/cjs/index.js.
const nsfwRoot = path.resolve(path.dirname(require.resolve('nsfwjs')), '..', '..');
const source = path.join(nsfwRoot, 'dist', 'models', 'mobilenet_v2');
const target = path.join(root, 'models', DEFAULT_MODEL_NAME);

const nsfwVersion = (JSON.parse(await readFile(path.join(nsfwRoot, 'package.json'), 'utf8')) as { version: string }).version;
const modelJson = ((await import(pathToFileURL(path.join(source, 'model.min.js')).href)) as { default: { weightsManifest: Array<{ paths: string[] }> } }).default;

const staging = `${target}.tmp-${process.pid}`;
await rm(staging, { recursive: true, force: true });
await mkdir(staging, { recursive: true });
for (const group of modelJson.weightsManifest) {
  group.paths = group.paths.map((name) => `${name}.bin`);
  for (const name of group.paths) {
    const shard = ((await import(pathToFileURL(path.join(source, `${name.replace(/\.bin$/, '')}.min.js`)).href)) as { default: string }).default;
    await writeFile(path.join(staging, name), Buffer.from(shard, 'base64'));
  }
}
await writeFile(path.join(staging, 'model.json'), JSON.stringify({ format: 'layers-model', generatedBy: `nsfwjs ${nsfwVersion}`, ...modelJson }));
const digests = await digestModel(directoryModelFiles(staging));
const tfjsManifest: ModelManifest = {
  schema: MANIFEST_SCHEMA,
  name: DEFAULT_MODEL_NAME,
  version: `nsfwjs-${nsfwVersion}`,
  format: digests.format,
  labels: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'],
  input: { width: 224, height: 224 },
  normalization: { divisor: 255, offset: 0 },
  files: digests.files,
  sha256: digests.sha256,
};
await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(tfjsManifest, null, 2)}\n`);

const ONNX_FILE = 'model.onnx';
const bundle = await readModelBundle(directoryModelFiles(staging));
const exported = layersModelToOnnx(bundle.artifacts!);
await activateBackend('wasm', { wasmDir: wasmDirectory() });
const rows = await compareOnnxWithTfjs(bundle, { bytes: exported.onnx, inputName: exported.inputName, outputName: exported.outputName }, await loadParityImages(root));
const failures = parityFailures(rows);
if (failures.length > 0) {
  await rm(staging, { recursive: true, force: true });
  console.error(`framescore: the ONNX conversion of ${DEFAULT_MODEL_NAME} does not match TF.js:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
await writeFile(path.join(staging, ONNX_FILE), exported.onnx);
const manifest: ModelManifest = { ...tfjsManifest, onnx: { file: ONNX_FILE, sha256: sha256Hex(exported.onnx), layout: exported.layout } };
await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
await writeFile(path.join(staging, 'LICENSE.txt'), 'Model weights from nsfwjs (https://github.com/infinitered/nsfwjs), MIT License, Copyright (c) 2016-2024 Infinite Red, Inc.\n');
await rm(target, { recursive: true, force: true });
await rename(staging, target);
const worst = Math.max(...rows.map((row) => row.maxDiff));
console.error(`framescore: wrote ${path.relative(root, target)} (sha256 ${manifest.sha256.slice(0, 12)}…; ${ONNX_FILE} ${(exported.onnx.byteLength / 1e6).toFixed(1)} MB, ${rows.length} images within ${worst.toExponential(1)} of TF.js)`);

/**
 * Writes the default model (the MobileNetV2 that the MIT-licensed nsfwjs package
 * ships as base64 inside .min.js files) out as a standard TF.js model directory
 * with a framescore manifest: models/nsfw-mobilenet-v2/. Runs on `npm run build`.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { digestModel } from '../src/core/model-files.js';
import { directoryModelFiles, DEFAULT_MODEL_NAME } from '../src/core/model-directory.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA, type ModelManifest } from '../src/core/model-manifest.js';

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
const manifest: ModelManifest = {
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
await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
await writeFile(path.join(staging, 'LICENSE.txt'), 'Model weights from nsfwjs (https://github.com/infinitered/nsfwjs), MIT License, Copyright (c) 2016-2024 Infinite Red, Inc.\n');
await rm(target, { recursive: true, force: true });
await rename(staging, target);
console.error(`framescore: wrote ${path.relative(root, target)} (sha256 ${manifest.sha256.slice(0, 12)}…)`);

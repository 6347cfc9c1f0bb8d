/**
 * `npm run package:lambda`: bundles src/lambda with esbuild into ESM, adds the default
 * model, and writes one deterministic zip per architecture, dist/lambda-arm64.zip and
 * dist/lambda-x86_64.zip, with no native code at all; beside each, that architecture's
 * layers: ONNX Runtime (dist/onnxruntime-layer-<arch>.zip, scripts/onnxruntime-layer.ts;
 * the function finds it under /opt, src/core/engines/onnx.ts) and ffmpeg
 * (dist/ffmpeg-layer-<arch>.zip, scripts/ffmpeg-layer.ts). Fails when a zip holds native
 * code it should not, or when the function and its layers break Lambda's size limits.
 *
 * TF.js is left out: Lambda's Node.js runtimes (Amazon Linux 2023, glibc 2.34) always
 * load ONNX Runtime's binding (glibc ≥ 2.28), so its wasm fallback could never run there.
 * --wasm-fallback puts it back (TF.js in the bundle and its two wasm binaries beside
 * it), for a runtime where the binding may not load or for a TF.js model with no ONNX
 * form (a graph model). Usage:
 *   node dist/scripts/package-lambda.js [--out-dir dir] [--arch arm64|x86_64] [--wasm-fallback] [--onnx-weights float32|uint8] [--single-bundle]
 */
import { sha256Hex } from '../src/core/model-files.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { DEFAULT_MODEL_NAME, directoryModelFiles } from '../src/core/model-directory.js';
import { MODEL_JSON, readModelBundle, weightFileNames } from '../src/core/model-files.js';
import { MANIFEST_FILE } from '../src/core/model-manifest.js';
import { layersModelToOnnx } from '../src/onnx-export/index.js';
import { WASM_FILES } from '../src/lambda/model-loader.js';
import { packageFfmpegLayers } from './ffmpeg-layer.js';
import { nativeEntries, readTree, zipFiles } from './lambda-zip.js';
import { packageOnnxRuntimeLayers } from './onnxruntime-layer.js';
import { ARCHITECTURES, type LambdaArchitecture } from './onnxruntime-files.js';
import { architecturesFromArgs, option } from './script-args.js';

export { ARCHITECTURES, type LambdaArchitecture } from './onnxruntime-files.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where esbuild believes it writes the bundle. Nothing is written there (the
 * output stays in memory, so concurrent runs cannot clobber each other), but
 * source-map paths are relative to it, so it must not vary between runs.
 */
const virtualOutfile = path.join(root, 'dist', 'lambda-bundle', 'index.mjs');
const MB = 1024 * 1024;
export const LIMITS = { zipped: 50 * MB, unzipped: 250 * MB } as const;
/** Issue 20's goals for the function zip of each architecture (ONNX Runtime, 10.0 / 17.1 MB deflated, is in its layer). */
export const ZIP_TARGETS = { arm64: 12 * MB, x86_64: 18 * MB } as const satisfies Record<LambdaArchitecture, number>;

// CJS dependencies (the TF.js wasm glue) call require() and read __dirname; ESM has neither.
const BANNER = [
  "import { createRequire as __fsCreateRequire } from 'node:module';",
  "import { fileURLToPath as __fsFileURLToPath } from 'node:url';",
  "import { dirname as __fsDirname } from 'node:path';",
  'const require = __fsCreateRequire(import.meta.url);',
  'const __filename = __fsFileURLToPath(import.meta.url);',
  'const __dirname = __fsDirname(__filename);',
].join('\n');

export interface PackageOptions {
  /** Carry TF.js and its wasm binaries as a fallback engine (default false: ONNX Runtime only). */
  readonly wasmFallback?: boolean;
  /**
   * How the model's ONNX form stores its weights: 'float32' (default; 2.4 MB more in
   * the zip, a faster session creation at every cold start) or 'uint8' as the
   * repository's model.onnx has them (dequantised by ONNX Runtime as it loads).
   */
  readonly onnxWeights?: 'float32' | 'uint8';
  /**
   * 'split' (default): esbuild's code splitting, so what only some invocations need
   * (the S3 client, the sampling handler) is a chunk imported on first use rather than
   * parsed and evaluated at every INIT; 'single': one index.mjs.
   */
  readonly bundle?: 'split' | 'single';
}

export interface PackageResult {
  readonly architecture: LambdaArchitecture;
  /** Whether the zip carries the TF.js wasm fallback. */
  readonly wasmFallback: boolean;
  readonly out: string;
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
  readonly sha256: string;
  readonly files: readonly string[];
}

/** dist/lambda-<architecture>.zip, or the same name under dir. */
export function zipName(architecture: LambdaArchitecture): string {
  return `lambda-${architecture}.zip`;
}

/** Writes one zip per architecture into outDir, bundling once. */
export async function packageLambdas(outDir: string, architectures: readonly LambdaArchitecture[] = ARCHITECTURES, options: PackageOptions = {}): Promise<PackageResult[]> {
  const common = await commonFiles(options);
  const results: PackageResult[] = [];
  for (const architecture of architectures) results.push(await writeZip(common, architecture, path.join(outDir, zipName(architecture)), options));
  return results;
}

/** One architecture's zip at out (x86_64 by default: the architecture of the machines that run the tests). */
export async function packageLambda(out: string, architecture: LambdaArchitecture = 'x86_64', options: PackageOptions = {}): Promise<PackageResult> {
  return writeZip(await commonFiles(options), architecture, out, options);
}

/** The modules that import TF.js; without the fallback they resolve to core/engines/tfjs-absent.ts. */
const TFJS_MODULES = /(?:^|\/)(?:engines\/tfjs|tf-backend)\.js$/;

const withoutTfjs: Plugin = {
  name: 'framescore-without-tfjs',
  setup(plugin) {
    plugin.onResolve({ filter: TFJS_MODULES }, (args) => (args.importer.startsWith(path.join(root, 'src') + path.sep) ? { path: path.join(root, 'src', 'core', 'engines', 'tfjs-absent.ts') } : undefined));
  },
};

/** What every architecture's zip holds: the bundle, its source map and licences, the model, and with the fallback the wasm files. */
async function commonFiles(options: PackageOptions): Promise<ReadonlyMap<string, Uint8Array>> {
  const wasmFallback = options.wasmFallback === true;
  const built = await build({
    ...(options.bundle === 'single'
      ? { entryPoints: [path.join(root, 'src', 'lambda', 'index.ts')], outfile: virtualOutfile }
      : { entryPoints: { index: path.join(root, 'src', 'lambda', 'index.ts') }, outdir: path.dirname(virtualOutfile), outExtension: { '.js': '.mjs' }, splitting: true, chunkNames: 'chunk-[hash]' }),
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    banner: { js: BANNER },
    // tfjs-core only requires node-fetch when global fetch is missing, which Node 18+ always has.
    // onnxruntime-node loads a native addon: it ships in the ONNX Runtime layer, found at run time.
    external: ['node-fetch', 'onnxruntime-node'],
    logLevel: 'warning',
    metafile: true,
    plugins: wasmFallback ? [] : [withoutTfjs],
    // tfjs-backend-cpu's CJS entry is not in its sideEffects list, so esbuild drops
    // the bare import: the Lambda runs on wasm only and never needs the cpu backend.
    logOverride: { 'ignored-bare-import': 'silent' },
  });
  const tfjsInputs = Object.keys(built.metafile.inputs).filter((input) => input.includes('node_modules/@tensorflow/'));
  if (!wasmFallback && tfjsInputs.length > 0) throw new Error(`TF.js reached the bundle without --wasm-fallback (${tfjsInputs[0]}): a new import of it must go through core/tf-backend.ts or core/engines/tfjs.ts`);
  const files = await packagedModel(wasmFallback, options.onnxWeights ?? 'float32');
  for (const output of built.outputFiles) files.set(path.relative(path.dirname(virtualOutfile), output.path).split(path.sep).join('/'), output.contents);
  if (wasmFallback) {
    const wasmDist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    for (const name of WASM_FILES) files.set(name, new Uint8Array(await readFile(path.join(wasmDist, name))));
  }
  return files;
}

/**
 * The default model as the zip carries it. Its ONNX form is written with float32
 * weights: on the uint8 form ONNX Runtime spends most of session creation folding the
 * in-graph dequantisation (175 ms against 52 ms for float32, measured here under load),
 * which every cold start pays, for 2.4 MB more in the zip. Without the fallback the
 * TF.js files (model.json and its 2.6 MB shard, the same weights again) stay out; the
 * manifest keeps the model's identity (the sha256 of those weights) and names the new
 * ONNX file's sha256, which the function checks as it loads it.
 */
async function packagedModel(wasmFallback: boolean, weights: 'float32' | 'uint8'): Promise<Map<string, Uint8Array>> {
  const dir = path.join(root, 'models', DEFAULT_MODEL_NAME);
  const prefix = `models/${DEFAULT_MODEL_NAME}/`;
  const bundle = await readModelBundle(directoryModelFiles(dir));
  const onnxFile = bundle.manifest.onnx?.file;
  if (bundle.artifacts === undefined || onnxFile === undefined) throw new Error(`${dir} is not a TF.js layers model with an ONNX form`);
  const files = await readTree(dir, prefix);
  if (weights === 'float32') {
    const onnx = layersModelToOnnx(bundle.artifacts, { weights: 'float32' }).onnx;
    const manifest = JSON.parse(new TextDecoder().decode(files.get(`${prefix}${MANIFEST_FILE}`))) as { onnx: { sha256: string } };
    manifest.onnx.sha256 = sha256Hex(onnx);
    files.set(`${prefix}${MANIFEST_FILE}`, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
    files.set(`${prefix}${onnxFile}`, onnx);
  }
  if (!wasmFallback) {
    const modelJson = JSON.parse(new TextDecoder().decode(files.get(`${prefix}${MODEL_JSON}`))) as Record<string, unknown>;
    for (const name of [MODEL_JSON, ...weightFileNames(modelJson, dir)]) files.delete(`${prefix}${name}`);
  }
  return files;
}

async function writeZip(files: ReadonlyMap<string, Uint8Array>, architecture: LambdaArchitecture, out: string, options: PackageOptions): Promise<PackageResult> {
  const { zip, unzippedBytes, names } = zipFiles(files);
  // Checked on what the zip holds, not on what went in: native code belongs in the layers.
  const native = nativeEntries(zip);
  if (native.length > 0) throw new Error(`the ${architecture} function zip holds native code (${native.join(', ')}); ONNX Runtime and ffmpeg ship as layers`);
  if (zip.byteLength > LIMITS.zipped) throw new Error(`${architecture} zip is ${mb(zip.byteLength)}, over Lambda's ${mb(LIMITS.zipped)} upload limit`);
  if (unzippedBytes > LIMITS.unzipped) throw new Error(`unzipped ${architecture} package is ${mb(unzippedBytes)}, over Lambda's ${mb(LIMITS.unzipped)} limit`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, zip);
  return { architecture, wasmFallback: options.wasmFallback === true, out, zippedBytes: zip.byteLength, unzippedBytes, sha256: sha256Hex(zip), files: names };
}

export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(2)} MB`;
}

/** One architecture's function zip and its two layers: what a cold start downloads. */
export interface DeploymentSizes {
  readonly architecture: LambdaArchitecture;
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
}

/** Lambda's 250 MB counts the function and all its layers, unzipped. */
export function checkDeployment(architecture: LambdaArchitecture, parts: ReadonlyArray<{ readonly zippedBytes: number; readonly unzippedBytes: number }>): DeploymentSizes {
  const unzippedBytes = parts.reduce((sum, part) => sum + part.unzippedBytes, 0);
  if (unzippedBytes > LIMITS.unzipped) throw new Error(`the ${architecture} function and its layers unzip to ${mb(unzippedBytes)}, over Lambda's ${mb(LIMITS.unzipped)} limit`);
  return { architecture, zippedBytes: parts.reduce((sum, part) => sum + part.zippedBytes, 0), unzippedBytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(option('--out-dir') ?? path.join(root, 'dist'));
  try {
    const architectures = architecturesFromArgs(ARCHITECTURES);
    const weights = option('--onnx-weights') ?? 'float32';
    if (weights !== 'float32' && weights !== 'uint8') throw new Error(`--onnx-weights must be float32 or uint8, not "${weights}"`);
    const results = await packageLambdas(outDir, architectures, { wasmFallback: process.argv.includes('--wasm-fallback'), onnxWeights: weights, bundle: process.argv.includes('--single-bundle') ? 'single' : 'split' });
    const onnxLayers = await packageOnnxRuntimeLayers(outDir, architectures);
    const ffmpegLayers = await packageFfmpegLayers(outDir, architectures);
    const shown = (out: string): string => {
      const relative = path.relative(process.cwd(), out);
      return relative.startsWith('..') ? out : relative;
    };
    for (const result of results) {
      const onnx = onnxLayers.find((candidate) => candidate.architecture === result.architecture)!;
      const ffmpeg = ffmpegLayers.find((candidate) => candidate.architecture === result.architecture)!;
      const total = checkDeployment(result.architecture, [result, onnx, ffmpeg]);
      const target = ZIP_TARGETS[result.architecture];
      const fallback = result.wasmFallback ? ' with the wasm fallback' : '';
      console.log(`${shown(result.out)}: ${result.files.length} files, sha256 ${result.sha256}`);
      console.log(`  zipped   ${mb(result.zippedBytes)} of ${mb(LIMITS.zipped)} (target ≤ ${mb(target)}${fallback}), unzipped ${mb(result.unzippedBytes)}`);
      for (const layer of [onnx, ffmpeg]) console.log(`${shown(layer.out)}: ${layer.files.length} files, sha256 ${layer.sha256}; zipped ${mb(layer.zippedBytes)}, unzipped ${mb(layer.unzippedBytes)}${'source' in layer ? ` (ffmpeg from ${layer.source})` : ''}`);
      console.log(`  ${result.architecture} function + layers: zipped ${mb(total.zippedBytes)}, unzipped ${mb(total.unzippedBytes)} of ${mb(LIMITS.unzipped)}`);
      if (!result.wasmFallback && result.zippedBytes > target) console.error(`framescore: warning: the ${result.architecture} zip is over the ${mb(target)} target`);
    }
  } catch (error) {
    console.error(`framescore: cannot package the Lambda: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

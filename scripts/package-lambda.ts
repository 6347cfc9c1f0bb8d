/**
 * `npm run package:lambda`: bundles src/lambda with esbuild into one ESM file,
 * adds the TF.js wasm binaries, the default model and onnxruntime-node with the
 * binding of one architecture, and writes one deterministic zip per architecture:
 * dist/lambda-arm64.zip and dist/lambda-x86_64.zip, and beside each the ffmpeg
 * layer for that architecture (dist/ffmpeg-layer-<arch>.zip, scripts/ffmpeg-layer.ts).
 * Fails when a zip breaks Lambda's size limits (the function and its layer
 * together, unzipped) or holds native code other than its own architecture's
 * ONNX Runtime binding. Usage:
 *   node dist/scripts/package-lambda.js [--out-dir dir] [--arch arm64|x86_64]
 */
import { sha256Hex } from '../src/core/model-files.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { unzipSync } from 'fflate';
import { DEFAULT_MODEL_NAME } from '../src/core/model-directory.js';
import { WASM_FILES } from '../src/lambda/model-loader.js';
import { packageFfmpegLayers } from './ffmpeg-layer.js';
import { nativeEntries, readTree, zipFiles } from './lambda-zip.js';
import { ARCHITECTURES, nativeViolations, onnxRuntimeFiles, type LambdaArchitecture } from './onnxruntime-files.js';

export { ARCHITECTURES, type LambdaArchitecture } from './onnxruntime-files.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where esbuild believes it writes the bundle. Nothing is written there (the
 * output stays in memory, so concurrent runs cannot clobber each other), but
 * source-map paths are relative to it, so it must not vary between runs.
 */
const virtualOutfile = path.join(root, 'dist', 'lambda-bundle', 'index.mjs');
const MB = 1024 * 1024;
export const LIMITS = { zipped: 50 * MB, unzipped: 250 * MB, targetZipped: 15 * MB } as const;

// CJS dependencies (the TF.js wasm glue) call require() and read __dirname; ESM has neither.
const BANNER = [
  "import { createRequire as __fsCreateRequire } from 'node:module';",
  "import { fileURLToPath as __fsFileURLToPath } from 'node:url';",
  "import { dirname as __fsDirname } from 'node:path';",
  'const require = __fsCreateRequire(import.meta.url);',
  'const __filename = __fsFileURLToPath(import.meta.url);',
  'const __dirname = __fsDirname(__filename);',
].join('\n');

export interface PackageResult {
  readonly architecture: LambdaArchitecture;
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
export async function packageLambdas(outDir: string, architectures: readonly LambdaArchitecture[] = ARCHITECTURES): Promise<PackageResult[]> {
  const common = await commonFiles();
  const results: PackageResult[] = [];
  for (const architecture of architectures) results.push(await writeZip(common, architecture, path.join(outDir, zipName(architecture))));
  return results;
}

/** One architecture's zip at out (x86_64 by default: the architecture of the machines that run the tests). */
export async function packageLambda(out: string, architecture: LambdaArchitecture = 'x86_64'): Promise<PackageResult> {
  return writeZip(await commonFiles(), architecture, out);
}

/** What every architecture's zip holds: the bundle, its source map and licences, the wasm files and the model. */
async function commonFiles(): Promise<ReadonlyMap<string, Uint8Array>> {
  const built = await build({
    entryPoints: [path.join(root, 'src', 'lambda', 'index.ts')],
    outfile: virtualOutfile,
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
    // onnxruntime-node loads a native addon: it ships as a package in node_modules/ beside the bundle.
    external: ['node-fetch', 'onnxruntime-node'],
    logLevel: 'warning',
    // tfjs-backend-cpu's CJS entry is not in its sideEffects list, so esbuild drops
    // the bare import: the Lambda runs on wasm only and never needs the cpu backend.
    logOverride: { 'ignored-bare-import': 'silent' },
  });
  const files = await readTree(path.join(root, 'models', DEFAULT_MODEL_NAME), `models/${DEFAULT_MODEL_NAME}/`);
  for (const output of built.outputFiles) files.set(path.relative(path.dirname(virtualOutfile), output.path).split(path.sep).join('/'), output.contents);
  const wasmDist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  for (const name of WASM_FILES) files.set(name, new Uint8Array(await readFile(path.join(wasmDist, name))));
  return files;
}

async function writeZip(common: ReadonlyMap<string, Uint8Array>, architecture: LambdaArchitecture, out: string): Promise<PackageResult> {
  const files = new Map([...common, ...(await onnxRuntimeFiles(architecture))]);
  const { zip, unzippedBytes, names } = zipFiles(files);
  // Checked on what the zip holds, not on what went in.
  const entries = unzipSync(zip);
  const problems = nativeViolations(entries, nativeEntries(entries), architecture);
  if (problems.length > 0) throw new Error(`the ${architecture} package's native code is wrong: ${problems.join('; ')}`);
  if (zip.byteLength > LIMITS.zipped) throw new Error(`${architecture} zip is ${mb(zip.byteLength)}, over Lambda's ${mb(LIMITS.zipped)} upload limit`);
  if (unzippedBytes > LIMITS.unzipped) throw new Error(`unzipped ${architecture} package is ${mb(unzippedBytes)}, over Lambda's ${mb(LIMITS.unzipped)} limit`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, zip);
  return { architecture, out, zippedBytes: zip.byteLength, unzippedBytes, sha256: sha256Hex(zip), files: names };
}

export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(2)} MB`;
}

function option(name: string): string | undefined {
  const flag = process.argv.indexOf(name);
  return flag >= 0 ? process.argv[flag + 1] : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(option('--out-dir') ?? path.join(root, 'dist'));
  const arch = option('--arch');
  try {
    if (arch !== undefined && !(ARCHITECTURES as readonly string[]).includes(arch)) throw new Error(`--arch must be ${ARCHITECTURES.join(' or ')}, not "${arch}"`);
    const architectures = arch === undefined ? ARCHITECTURES : [arch as LambdaArchitecture];
    const results = await packageLambdas(outDir, architectures);
    const layers = await packageFfmpegLayers(outDir, architectures);
    for (const result of results) {
      const layer = layers.find((candidate) => candidate.architecture === result.architecture)!;
      // Lambda's 250 MB counts the function and all its layers, unzipped.
      if (result.unzippedBytes + layer.unzippedBytes > LIMITS.unzipped) throw new Error(`the ${result.architecture} function and its ffmpeg layer unzip to ${mb(result.unzippedBytes + layer.unzippedBytes)}, over Lambda's ${mb(LIMITS.unzipped)} limit`);
    }
    for (const result of [...results, ...layers]) {
      const shown = path.relative(process.cwd(), result.out);
      console.log(`${shown.startsWith('..') ? result.out : shown}: ${result.files.length} files, sha256 ${result.sha256}`);
      console.log(`  zipped   ${mb(result.zippedBytes)} of ${mb(LIMITS.zipped)}${'source' in result ? '' : ` (target ≤ ${mb(LIMITS.targetZipped)})`}`);
      console.log(`  unzipped ${mb(result.unzippedBytes)} of ${mb(LIMITS.unzipped)}${'source' in result ? ` (ffmpeg from ${result.source})` : ''}`);
      if (!('source' in result) && result.zippedBytes > LIMITS.targetZipped) console.error(`framescore: warning: the ${result.architecture} zip is over the ${mb(LIMITS.targetZipped)} target`);
    }
  } catch (error) {
    console.error(`framescore: cannot package the Lambda: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

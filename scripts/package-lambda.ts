/**
 * `npm run package:lambda`: bundles src/lambda with esbuild into one ESM file,
 * adds the TF.js wasm binaries and the default model, and writes a deterministic
 * dist/lambda.zip. Fails when the package breaks Lambda's size limits or carries
 * native code. Usage: node dist/scripts/package-lambda.js [--out file.zip]
 */
import { sha256Hex } from '../src/core/model-files.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DEFAULT_MODEL_NAME } from '../src/core/model-directory.js';
import { WASM_FILES } from '../src/lambda/model-loader.js';
import { nativeEntries, readTree, zipFiles } from './lambda-zip.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where esbuild believes it writes the bundle. Nothing is written there (the
 * output stays in memory, so concurrent runs cannot clobber each other), but
 * source-map paths are relative to it, so it must not vary between runs.
 */
const virtualOutfile = path.join(root, 'dist', 'lambda-bundle', 'index.mjs');
const MB = 1024 * 1024;
export const LIMITS = { zipped: 50 * MB, unzipped: 250 * MB, targetZipped: 10 * MB } as const;

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
  readonly out: string;
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
  readonly sha256: string;
  readonly files: readonly string[];
}

export async function packageLambda(out: string): Promise<PackageResult> {
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
    external: ['node-fetch'],
    logLevel: 'warning',
    // tfjs-backend-cpu's CJS entry is not in its sideEffects list, so esbuild drops
    // the bare import: the Lambda runs on wasm only and never needs the cpu backend.
    logOverride: { 'ignored-bare-import': 'silent' },
  });
  const files = await readTree(path.join(root, 'models', DEFAULT_MODEL_NAME), `models/${DEFAULT_MODEL_NAME}/`);
  for (const output of built.outputFiles) files.set(path.relative(path.dirname(virtualOutfile), output.path).split(path.sep).join('/'), output.contents);
  const wasmDist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  for (const name of WASM_FILES) files.set(name, new Uint8Array(await readFile(path.join(wasmDist, name))));

  const { zip, unzippedBytes, names } = zipFiles(files);
  const native = nativeEntries(zip);
  if (native.length > 0) throw new Error(`the package holds native code, which ties it to one architecture: ${native.join(', ')}`);
  if (zip.byteLength > LIMITS.zipped) throw new Error(`zip is ${mb(zip.byteLength)}, over Lambda's ${mb(LIMITS.zipped)} upload limit`);
  if (unzippedBytes > LIMITS.unzipped) throw new Error(`unzipped package is ${mb(unzippedBytes)}, over Lambda's ${mb(LIMITS.unzipped)} limit`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, zip);
  return { out, zippedBytes: zip.byteLength, unzippedBytes, sha256: sha256Hex(zip), files: names };
}

export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(2)} MB`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--out');
  const out = path.resolve(flag >= 0 && process.argv[flag + 1] !== undefined ? process.argv[flag + 1]! : path.join(root, 'dist', 'lambda.zip'));
  try {
    const result = await packageLambda(out);
    const shown = path.relative(process.cwd(), result.out);
    console.log(`${shown.startsWith('..') ? result.out : shown}: ${result.files.length} files, sha256 ${result.sha256}`);
    console.log(`  zipped   ${mb(result.zippedBytes)} of ${mb(LIMITS.zipped)} (target ≤ ${mb(LIMITS.targetZipped)})`);
    console.log(`  unzipped ${mb(result.unzippedBytes)} of ${mb(LIMITS.unzipped)}`);
    if (result.zippedBytes > LIMITS.targetZipped) console.error(`framescore: warning: zip is over the ${mb(LIMITS.targetZipped)} target`);
  } catch (error) {
    console.error(`framescore: cannot package the Lambda: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

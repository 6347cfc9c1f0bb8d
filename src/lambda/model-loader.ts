/**
 * Loads the classifier for this execution environment: the wasm backend, then
 * the model from the package (default), MODEL_DIR, or MODEL_URI=s3://bucket/prefix/
 * via a verified /tmp cache.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Classifier } from '../core/classifier.js';
import { errorMessage } from '../core/errors.js';
import { DEFAULT_MODEL_NAME, directoryModelFiles } from '../core/model-directory.js';
import { readModelBundle } from '../core/model-files.js';
import { activateBackend } from '../core/tf-backend.js';
import { readDirEnv, readS3UriEnv, type Environment } from './env.js';
import { ModelUnavailableError } from './errors.js';

export interface LoadedModel {
  readonly classifier: Classifier;
  /** Why the function runs TF.js wasm rather than ONNX Runtime, when it does. */
  readonly fellBack?: string | undefined;
  /** Where the model came from: a directory or an s3:// URI. */
  readonly source: string;
  /** For S3 models: whether this load downloaded it (false: reused the /tmp copy). */
  readonly downloaded?: boolean;
}

export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'] as const;

/**
 * @param codeDir the directory of the handler module: in the package, the wasm
 * binaries and models/ sit beside it.
 */
export async function loadModel(codeDir: string, env: Environment = process.env): Promise<LoadedModel> {
  let source = 'the packaged model';
  try {
    // In the package the wasm files sit beside index.mjs; unbundled, tfjs finds its own.
    const wasmDir = existsSync(path.join(codeDir, WASM_FILES[0])) ? codeDir : undefined;
    const loadFromDir = (dir: string): Promise<{ classifier: Classifier; fellBack?: string | undefined }> => loadClassifier(dir, wasmDir);
    const location = readS3UriEnv('MODEL_URI', env);
    if (location !== undefined) {
      const s3 = await import('./s3-model.js');
      source = s3.s3Uri(location);
      const cacheRoot = readDirEnv('MODEL_CACHE_DIR', env) ?? path.join(os.tmpdir(), 'framescore-models');
      const cached = await s3.fetchS3Model(s3.createS3Client(env), location, cacheRoot);
      try {
        return { ...(await loadFromDir(cached.dir)), source, downloaded: cached.downloaded };
      } catch (error) {
        // A copy that no longer verifies must not be reused by the next attempt.
        await rm(cached.dir, { recursive: true, force: true });
        throw error;
      }
    }
    const dir = readDirEnv('MODEL_DIR', env) ?? packagedModelDir(codeDir);
    source = dir;
    return { ...(await loadFromDir(dir)), source };
  } catch (error) {
    throw new ModelUnavailableError(`model from ${source} is unavailable: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * ONNX Runtime (the binding for the function's architecture ships in its layer, found by core/engines/onnx.ts), with
 * as many intra-op threads as the environment has vCPUs; TF.js wasm when the binding
 * cannot load or the model has no ONNX form, with the reason logged, in a package
 * built with --wasm-fallback (the default package carries no TF.js: see
 * core/engines/tfjs-absent.ts).
 */
async function loadClassifier(dir: string, wasmDir: string | undefined): Promise<{ classifier: Classifier; fellBack?: string | undefined }> {
  const bundle = await readModelBundle(directoryModelFiles(dir));
  let fellBack: string;
  try {
    const onnx = await import('../core/engines/onnx.js');
    return { classifier: await Classifier.load(bundle, (b) => onnx.loadOnnxEngine(b, { threads: os.availableParallelism() })) };
  } catch (error) {
    if (bundle.artifacts === undefined) throw error;
    fellBack = errorMessage(error);
  }
  try {
    await activateBackend('wasm', { wasmDir });
  } catch (error) {
    // A package built without the fallback (the default) has no TF.js: say both reasons.
    throw new Error(`${fellBack}; the TF.js wasm fallback cannot run either: ${errorMessage(error)}`, { cause: error });
  }
  return { classifier: await Classifier.load(bundle), fellBack };
}

/** models/<default> beside the bundle, or at the repository root when run from dist/src/lambda. */
export function packagedModelDir(codeDir: string): string {
  const candidates = [path.join(codeDir, 'models', DEFAULT_MODEL_NAME), path.resolve(codeDir, '..', '..', '..', 'models', DEFAULT_MODEL_NAME)];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

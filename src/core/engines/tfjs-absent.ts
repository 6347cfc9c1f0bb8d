/**
 * Stands in for engines/tfjs.ts and tf-backend.ts in a Lambda package built without
 * the TF.js fallback (the default of scripts/package-lambda.ts). Lambda's Node.js
 * runtimes (Amazon Linux 2023, glibc 2.34) always load ONNX Runtime's binding, so
 * TF.js and its wasm binaries (1.5 MB of the zip, a third of the bundle to parse at
 * INIT) would never run there. Every entry point rejects with TfjsNotPackagedError,
 * so a model that needs TF.js fails with a reason instead of a missing module.
 */
import type * as TfBackend from '../tf-backend.js';
import type * as TfjsEngine from './tfjs.js';

export class TfjsNotPackagedError extends Error {
  override name = 'TfjsNotPackagedError';
  constructor(options?: ErrorOptions) {
    super('TF.js is not in this package (package the function with --wasm-fallback to carry it)', options);
  }
}

export const loadTfjsEngine: typeof TfjsEngine.loadTfjsEngine = () => Promise.reject(new TfjsNotPackagedError());

export const activateBackend: typeof TfBackend.activateBackend = () => Promise.reject(new TfjsNotPackagedError());

export const currentBackend: typeof TfBackend.currentBackend = () => 'none';

export const wasmFeatures: typeof TfBackend.wasmFeatures = () => Promise.reject(new TfjsNotPackagedError());

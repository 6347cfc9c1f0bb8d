import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The backends the core can run on by itself; 'tensorflow' is registered by tfjs-node when the CLI can load it. */
export type BackendName = 'wasm' | 'cpu' | 'tensorflow';

export interface BackendOptions {
  /** Directory holding tfjs-backend-wasm*.wasm (the package's dist/, or the Lambda bundle's directory). */
  readonly wasmDir?: string | undefined;
}

let wasmPathsSet = false;

/** Activates a TF.js backend and returns its name. Throws when it cannot be initialised. */
export async function activateBackend(name: BackendName, options: BackendOptions = {}): Promise<string> {
  if (name === 'wasm' && options.wasmDir !== undefined && !wasmPathsSet) {
    setWasmPaths(options.wasmDir.endsWith('/') ? options.wasmDir : `${options.wasmDir}/`);
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TF.js backend "${name}" could not be initialised`);
  await tf.ready();
  // The model's own warm-up prediction compiles kernels; nothing else to do here.
  return tf.getBackend();
}

export function currentBackend(): string {
  return tf.getBackend();
}

/** Whether the wasm backend found SIMD support (about 2× faster). */
export async function wasmFeatures(): Promise<{ simd: boolean }> {
  return { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') === true };
}

export { tf };

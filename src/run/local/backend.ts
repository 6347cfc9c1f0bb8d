import { createRequire } from 'node:module';
import path from 'node:path';
import type { EngineLoader } from '../../core/engine.js';
import { loadTfjsEngine } from '../../core/engines/tfjs.js';
import { errorMessage } from '../../core/errors.js';
import { BackendUnavailableError } from '../errors.js';
import type { ModelBundle } from '../../core/model-files.js';
import { activateBackend } from '../../core/tf-backend.js';

import type { BackendChoice } from './backend-choice.js';

export { BACKEND_CHOICES, type BackendChoice } from './backend-choice.js';

const require = createRequire(import.meta.url);

/** Directory of the TF.js wasm binaries in node_modules. */
export function wasmDirectory(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

// Defined with the CLI's other errors, so main.ts maps it without loading TF.js at start-up.
export { BackendUnavailableError };

export interface EngineChoice {
  /** Which engine: 'onnx', or the TF.js backend ('tensorflow', 'wasm', 'cpu'). */
  readonly backend: 'onnx' | 'tensorflow' | 'wasm' | 'cpu';
  readonly load: EngineLoader;
  /** Why `auto` did not take ONNX Runtime (or tfjs-node), for --verbose and doctor. */
  readonly fellBack?: string | undefined;
}

/**
 * Chooses and prepares the engine. `auto`: ONNX Runtime when its binding loads and the
 * model has an ONNX form (the bundled model does; TF.js layers models are converted in
 * memory); else @tensorflow/tfjs-node when loadable (its install downloads
 * libtensorflow, which fails offline); else TF.js wasm.
 */
export async function chooseEngine(choice: BackendChoice, bundle: ModelBundle, options: { threads?: number | undefined } = {}): Promise<EngineChoice> {
  const reasons: string[] = [];
  if (choice === 'onnx' || choice === 'auto') {
    try {
      const onnx = await import('../../core/engines/onnx.js');
      await onnx.loadOnnxRuntime();
      onnx.onnxModel(bundle); // the model has (or converts to) an ONNX form: else say why now, not per frame
      return { backend: 'onnx', load: (b) => onnx.loadOnnxEngine(b, { threads: options.threads }) };
    } catch (error) {
      if (choice === 'onnx') throw new BackendUnavailableError(`--backend onnx: ${errorMessage(error)}`, { cause: error });
      reasons.push(errorMessage(error));
    }
  }
  if (bundle.artifacts === undefined) throw new BackendUnavailableError(`model ${bundle.manifest.name} is an ONNX model and ONNX Runtime is unavailable (${reasons.join('; ') || `--backend ${choice}`})`);
  if (choice === 'node' || choice === 'auto') {
    try {
      const moduleName = '@tensorflow/tfjs-node';
      await import(moduleName);
      await activateBackend('tensorflow');
      return { backend: 'tensorflow', load: loadTfjsEngine, fellBack: reasons.join('; ') || undefined };
    } catch (error) {
      if (choice === 'node') throw new BackendUnavailableError(`--backend node: @tensorflow/tfjs-node cannot be loaded (${errorMessage(error).split('\n')[0]})`, { cause: error });
      reasons.push(`@tensorflow/tfjs-node cannot be loaded (${errorMessage(error).split('\n')[0]})`);
    }
  }
  if (choice === 'cpu') {
    await activateBackend('cpu');
    return { backend: 'cpu', load: loadTfjsEngine };
  }
  await activateBackend('wasm', { wasmDir: wasmDirectory() });
  return { backend: 'wasm', load: loadTfjsEngine, fellBack: choice === 'auto' ? reasons.join('; ') : undefined };
}

import { createRequire } from 'node:module';
import path from 'node:path';
import { activateBackend } from '../../core/tf-backend.js';
import { errorMessage } from '../../core/errors.js';

export type BackendChoice = 'auto' | 'wasm' | 'node' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'wasm', 'node', 'cpu'];

const require = createRequire(import.meta.url);

/** Directory of the TF.js wasm binaries in node_modules. */
export function wasmDirectory(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

/** Thrown when the backend the user asked for cannot run here. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Activates the chosen backend. `auto` uses @tensorflow/tfjs-node when it can be
 * loaded (it is optional: its install downloads libtensorflow, which fails behind
 * many proxies), and otherwise wasm.
 */
export async function selectBackend(choice: BackendChoice): Promise<string> {
  if (choice === 'node' || choice === 'auto') {
    try {
      const moduleName = '@tensorflow/tfjs-node';
      await import(moduleName);
      return await activateBackend('tensorflow');
    } catch (error) {
      if (choice === 'node') throw new BackendUnavailableError(`--backend node: @tensorflow/tfjs-node cannot be loaded (${errorMessage(error).split('\n')[0]})`, { cause: error });
    }
  }
  if (choice === 'cpu') return activateBackend('cpu');
  return activateBackend('wasm', { wasmDir: wasmDirectory() });
}

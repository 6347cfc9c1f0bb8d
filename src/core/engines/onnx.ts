/**
 * ONNX Runtime (onnxruntime-node's CPU binding, a native addon): about 10× TF.js-wasm per
 * frame on these cores. The model is the bundle's ONNX form, or a TF.js layers model
 * converted in memory. Loaded lazily, so a machine whose binding cannot load falls back
 * to TF.js with the reason.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Ort from 'onnxruntime-node';
import type { InferenceEngine } from '../engine.js';
import { errorMessage, ModelError } from '../errors.js';
import type { ModelBundle } from '../model-files.js';
import { layersModelToOnnx, OnnxExportError, UnsupportedLayerError } from '../../onnx-export/index.js';

export type OnnxRuntime = typeof Ort;

/** The binding could not be loaded here (missing file, wrong architecture, old glibc). */
export class OnnxRuntimeUnavailableError extends Error {
  override name = 'OnnxRuntimeUnavailableError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Where Lambda extracts layers; the ONNX Runtime layer holds nodejs/node_modules/onnxruntime-node. */
export const LAYER_ROOT = '/opt';

/**
 * The one way onnxruntime-node is found, for the CLI, the library and the function alike:
 * Node's CommonJS resolution from this module's directory first (the repository's or an
 * install's node_modules), then the ONNX Runtime layer's nodejs/node_modules (the
 * function's zip carries no native code: scripts/onnxruntime-layer.ts). Lambda puts
 * /opt/nodejs/node_modules on NODE_PATH, but an ES module's import ignores NODE_PATH, so
 * the layer's directory is named here. FRAMESCORE_ONNXRUNTIME_LAYER names another
 * extracted layer (the tests' and benches' unpacked copy); FRAMESCORE_ONNXRUNTIME_MODULE
 * another module file (the tests make the binding unloadable with it).
 */
export function onnxRuntimeLocation(env: NodeJS.ProcessEnv = process.env): string {
  const request = env.FRAMESCORE_ONNXRUNTIME_MODULE ?? 'onnxruntime-node';
  const layer = path.join(env.FRAMESCORE_ONNXRUNTIME_LAYER || LAYER_ROOT, 'nodejs');
  const here = path.dirname(fileURLToPath(import.meta.url));
  try {
    return createRequire(import.meta.url).resolve(request, { paths: [here, layer] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    if (path.isAbsolute(request)) throw new Error(`${request} does not exist`, { cause: error });
    throw new Error(`${request} is neither in a node_modules above ${here} nor in the layer's ${path.join(layer, 'node_modules')}`, { cause: error });
  }
}

let runtime: Promise<OnnxRuntime> | undefined;

export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  runtime ??= (async () => {
    try {
      // require(), not import(): onnxruntime-node is CommonJS, and a resolved path keeps bundlers from inlining the addon.
      const ort = createRequire(import.meta.url)(onnxRuntimeLocation()) as OnnxRuntime;
      if (typeof ort.InferenceSession?.create !== 'function') throw new Error('the module has no InferenceSession');
      return ort;
    } catch (error) {
      runtime = undefined;
      throw new OnnxRuntimeUnavailableError(`onnxruntime-node cannot be loaded: ${errorMessage(error).split('\n')[0]}`, { cause: error });
    }
  })();
  return runtime;
}

/** The ONNX bytes and layout the engine runs: the bundle's own, or the TF.js layers model converted. Throws ModelError. */
export function onnxModel(bundle: ModelBundle): { bytes: Uint8Array; layout: 'NHWC' | 'NCHW'; converted: boolean } {
  if (bundle.onnx !== undefined) return { ...bundle.onnx, converted: false };
  if (bundle.artifacts === undefined || bundle.manifest.format !== 'layers-model') throw new ModelError(`model ${bundle.manifest.name} has no ONNX form (only TF.js layers models are converted)`);
  try {
    return { bytes: layersModelToOnnx(bundle.artifacts).onnx, layout: 'NHWC', converted: true };
  } catch (error) {
    if (error instanceof UnsupportedLayerError || error instanceof OnnxExportError) throw new ModelError(`model ${bundle.manifest.name} cannot run on ONNX Runtime: ${error.message}`, { cause: error });
    throw error;
  }
}

export interface OnnxEngineOptions {
  /** Intra-op threads (default 1: one engine per worker). */
  readonly threads?: number | undefined;
}

export async function loadOnnxEngine(bundle: ModelBundle, options: OnnxEngineOptions = {}): Promise<InferenceEngine> {
  const ort = await loadOnnxRuntime();
  const model = onnxModel(bundle);
  const threads = Math.max(1, options.threads ?? 1);
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.bytes, {
      executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    });
  } catch (error) {
    throw new ModelError(`model ${bundle.manifest.name}: ONNX Runtime cannot load it: ${errorMessage(error).split('\n')[0]}`, { cause: error });
  }
  if (session.inputNames.length !== 1 || session.outputNames.length < 1) {
    await session.release();
    throw new ModelError(`model ${bundle.manifest.name}: the ONNX model needs one input and an output (has ${session.inputNames.length} inputs, ${session.outputNames.length} outputs)`);
  }
  return new OnnxEngine(ort, session, bundle.manifest.input, model.layout, `onnxruntime ${ort.env.versions.node ?? ort.env.versions.common} (cpu, ${threads} thread${threads === 1 ? '' : 's'})`);
}

class OnnxEngine implements InferenceEngine {
  constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: Ort.InferenceSession,
    private readonly input: { readonly width: number; readonly height: number },
    private readonly layout: 'NHWC' | 'NCHW',
    readonly name: string,
  ) {}

  async run(input: Float32Array, batch: number): Promise<Float32Array> {
    const { width, height } = this.input;
    const data = this.layout === 'NHWC' ? input : toNchw(input, batch, height, width);
    const shape = this.layout === 'NHWC' ? [batch, height, width, 3] : [batch, 3, height, width];
    const outputs = await this.session.run({ [this.session.inputNames[0]!]: new this.ort.Tensor('float32', data, shape) });
    const output = outputs[this.session.outputNames[0]!];
    if (output === undefined || !(output.data instanceof Float32Array)) throw new Error('the ONNX model produced no float32 output');
    return output.data;
  }

  dispose(): void {
    void this.session.release();
  }
}

function toNchw(input: Float32Array, batch: number, height: number, width: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(input.length);
  for (let n = 0; n < batch; n += 1) {
    const base = n * plane * 3;
    for (let i = 0; i < plane; i += 1) {
      out[base + i] = input[base + i * 3]!;
      out[base + plane + i] = input[base + i * 3 + 1]!;
      out[base + 2 * plane + i] = input[base + i * 3 + 2]!;
    }
  }
  return out;
}

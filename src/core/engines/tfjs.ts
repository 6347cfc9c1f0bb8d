import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import type { InferenceEngine } from '../engine.js';
import { ModelError, errorMessage } from '../errors.js';
import type { ModelBundle } from '../model-files.js';
import { currentBackend, tf } from '../tf-backend.js';

/** A TF.js layers or graph model on whichever TF.js backend is active (wasm, cpu, tensorflow). */
export async function loadTfjsEngine(bundle: ModelBundle): Promise<InferenceEngine> {
  if (bundle.artifacts === undefined) throw new ModelError(`model ${bundle.manifest.name} is an ONNX model: it runs on --backend onnx only`);
  const handler = tf.io.fromMemory(bundle.artifacts);
  let model: LayersModel | GraphModel;
  try {
    model = bundle.manifest.format === 'graph-model' ? await loadGraphModel(handler) : await loadLayersModel(handler);
  } catch (error) {
    // TF.js says "Invalid typed array length" or names a layer; say which model and that its files disagree.
    throw new ModelError(`model ${bundle.where ?? bundle.manifest.name}: TF.js cannot build it from model.json and its weights (${errorMessage(error)})`, { cause: error });
  }
  return new TfjsEngine(model, bundle.manifest.input);
}

class TfjsEngine implements InferenceEngine {
  readonly name = `tfjs-${currentBackend()}`;

  constructor(private readonly model: LayersModel | GraphModel, private readonly input: { readonly width: number; readonly height: number }) {}

  async run(input: Float32Array, batch: number): Promise<Float32Array> {
    const { width, height } = this.input;
    const output = tf.tidy(() => this.predict(tf.tensor4d(input, [batch, height, width, 3], 'float32')));
    const values = await output.data();
    output.dispose();
    return values instanceof Float32Array ? values : Float32Array.from(values);
  }

  dispose(): void {
    this.model.dispose();
  }

  private predict(batch: tf.Tensor): tf.Tensor {
    const out = this.model.predict(batch);
    if (out instanceof tf.Tensor) return out;
    const first = Array.isArray(out) ? out[0] : Object.values(out)[0];
    if (first === undefined) throw new Error('model produced no output');
    return first;
  }
}

import type { ModelBundle } from './model-files.js';

/**
 * What runs the network. The classifier, preprocessing and the wire contract do not
 * care which: every engine takes the same NHWC float32 batch and returns one row of
 * outputs per image.
 */
export interface InferenceEngine {
  /** Which engine, for reports and `doctor`: "tfjs-wasm", "onnxruntime 1.30 (cpu, 2 threads)". */
  readonly name: string;
  /** Runs a batch of `batch` images, NHWC float32 at the model's input size; returns batch × outputs values. */
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  dispose(): void;
}

export type EngineLoader = (bundle: ModelBundle) => Promise<InferenceEngine>;

import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { tf } from './tf-backend.js';
import { ImageDecodeError, errorMessage } from './errors.js';
import { decodeImage, type RgbImage } from './image-decode.js';
import type { ModelBundle } from './model-files.js';
import { modelIdentity, type ModelIdentity, type ModelManifest } from './model-manifest.js';
import { toInputTensor } from './preprocess.js';

export type Scores = Record<string, number>;

export interface ScoredImage {
  readonly status: 'ok';
  readonly scores: Scores;
  readonly top: { readonly label: string; readonly score: number };
}

export interface FailedImage {
  readonly status: 'failed';
  readonly code: 'INVALID_IMAGE' | 'INFERENCE_FAILED';
  readonly message: string;
}

export type ImageResult = ScoredImage | FailedImage;

/** Largest batch handed to the model at once; larger inputs are split. */
export const MAX_MODEL_BATCH = 32;

/** A loaded model that turns encoded images into per-label scores. */
export class Classifier {
  readonly manifest: ModelManifest;
  readonly identity: ModelIdentity;
  private readonly model: LayersModel | GraphModel;

  private constructor(manifest: ModelManifest, model: LayersModel | GraphModel) {
    this.manifest = manifest;
    this.identity = modelIdentity(manifest);
    this.model = model;
  }

  /** Loads the model on the active backend and runs one warm-up prediction. */
  static async load(bundle: ModelBundle): Promise<Classifier> {
    const handler = tf.io.fromMemory(bundle.artifacts);
    const model = bundle.manifest.format === 'graph-model' ? await loadGraphModel(handler) : await loadLayersModel(handler);
    const classifier = new Classifier(bundle.manifest, model);
    const { width, height } = bundle.manifest.input;
    const warm = tf.tidy(() => classifier.predict(tf.zeros([1, height, width, 3])));
    await warm.data();
    warm.dispose();
    const outputs = warm.shape[warm.shape.length - 1];
    if (outputs !== bundle.manifest.labels.length) {
      classifier.dispose();
      throw new Error(`model has ${outputs} outputs but its manifest lists ${bundle.manifest.labels.length} labels`);
    }
    return classifier;
  }

  /** Scores encoded JPEG/PNG images; an undecodable image fails alone. */
  async classify(images: readonly Uint8Array[]): Promise<ImageResult[]> {
    const results: ImageResult[] = new Array(images.length);
    const decoded: Array<{ slot: number; image: RgbImage }> = [];
    images.forEach((bytes, slot) => {
      try {
        decoded.push({ slot, image: decodeImage(bytes) });
      } catch (error) {
        results[slot] = { status: 'failed', code: 'INVALID_IMAGE', message: errorMessage(error) };
        if (!(error instanceof ImageDecodeError)) throw error;
      }
    });
    for (let start = 0; start < decoded.length; start += MAX_MODEL_BATCH) {
      const chunk = decoded.slice(start, start + MAX_MODEL_BATCH);
      const scores = await this.classifyPixels(chunk.map((entry) => entry.image));
      chunk.forEach((entry, i) => {
        results[entry.slot] = scores[i]!;
      });
    }
    return results;
  }

  /** Scores already-decoded images in one batch. */
  async classifyPixels(images: readonly RgbImage[]): Promise<ScoredImage[]> {
    if (images.length === 0) return [];
    const output = tf.tidy(() => this.predict(tf.stack(images.map((image) => toInputTensor(image, this.manifest))) as tf.Tensor4D));
    const values = await output.data();
    output.dispose();
    const labels = this.manifest.labels;
    return images.map((_, row) => toScored(labels, values.subarray(row * labels.length, (row + 1) * labels.length)));
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

function toScored(labels: readonly string[], row: ArrayLike<number>): ScoredImage {
  const scores: Scores = {};
  let top = { label: labels[0]!, score: -Infinity };
  labels.forEach((label, i) => {
    const score = row[i]!;
    scores[label] = score;
    if (score > top.score) top = { label, score };
  });
  return { status: 'ok', scores, top };
}

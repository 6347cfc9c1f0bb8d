import type { Scores } from './results.js';
import type { EngineLoader, InferenceEngine } from './engine.js';
import { loadTfjsEngine } from './engines/tfjs.js';
import { ImageDecodeError, errorMessage } from './errors.js';
import { decodeImage, isEncoded, type FrameImage, type RgbImage } from './image-decode.js';
import type { ModelBundle } from './model-files.js';
import { modelIdentity, type ModelIdentity, type ModelManifest } from './model-manifest.js';
import { toModelInput, type FitMode } from './preprocess.js';

export type { Scores } from './results.js';

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

/** A loaded model that turns images into per-label scores. */
export class Classifier {
  readonly manifest: ModelManifest;
  readonly identity: ModelIdentity;
  readonly engine: InferenceEngine;

  private constructor(manifest: ModelManifest, engine: InferenceEngine) {
    this.manifest = manifest;
    this.identity = modelIdentity(manifest);
    this.engine = engine;
  }

  /** Loads the model on an engine (default: TF.js on the active backend) and runs one warm-up prediction. */
  static async load(bundle: ModelBundle, loadEngine: EngineLoader = loadTfjsEngine): Promise<Classifier> {
    const engine = await loadEngine(bundle);
    const { width, height } = bundle.manifest.input;
    try {
      const outputs = (await engine.run(new Float32Array(width * height * 3), 1)).length;
      if (outputs !== bundle.manifest.labels.length) throw new Error(`model has ${outputs} outputs but its manifest lists ${bundle.manifest.labels.length} labels`);
    } catch (error) {
      engine.dispose();
      throw error;
    }
    return new Classifier(bundle.manifest, engine);
  }

  /** Scores images; an undecodable image fails alone. `fit` applies to pictures not at the input size. */
  async classify(images: readonly FrameImage[], fit: FitMode = 'crop'): Promise<ImageResult[]> {
    const results: ImageResult[] = new Array(images.length);
    const decoded: Array<{ slot: number; image: RgbImage }> = [];
    images.forEach((input, slot) => {
      if (!isEncoded(input)) {
        decoded.push({ slot, image: input });
        return;
      }
      try {
        decoded.push({ slot, image: decodeImage(input) });
      } catch (error) {
        if (!(error instanceof ImageDecodeError)) throw error;
        results[slot] = { status: 'failed', code: 'INVALID_IMAGE', message: errorMessage(error) };
      }
    });
    for (let start = 0; start < decoded.length; start += MAX_MODEL_BATCH) {
      const chunk = decoded.slice(start, start + MAX_MODEL_BATCH);
      const scores = await this.classifyPixels(chunk.map((entry) => entry.image), fit);
      chunk.forEach((entry, i) => {
        results[entry.slot] = scores[i]!;
      });
    }
    return results;
  }

  /** Scores decoded images in one batch. */
  async classifyPixels(images: readonly RgbImage[], fit: FitMode = 'crop'): Promise<ScoredImage[]> {
    if (images.length === 0) return [];
    const values = await this.engine.run(toModelInput(images, this.manifest, fit), images.length);
    const labels = this.manifest.labels;
    return images.map((_, row) => toScored(labels, values.subarray(row * labels.length, (row + 1) * labels.length)));
  }

  dispose(): void {
    this.engine.dispose();
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

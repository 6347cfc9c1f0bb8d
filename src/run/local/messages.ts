import type { ImageResult } from '../../core/classifier.js';
import type { FrameImage } from '../../core/image-decode.js';
import type { FitMode } from '../../core/preprocess.js';
import type { ModelIdentity } from '../../core/model-manifest.js';
import type { BackendChoice } from './backend.js';

export interface WorkerInit {
  readonly backend: BackendChoice;
  /** ONNX Runtime's intra-op threads. */
  readonly threads?: number | undefined;
  readonly modelDir: string;
  /** How pictures not at the input size (still images) are fitted. */
  readonly fit: FitMode;
}

export interface WorkerRequest {
  readonly id: number;
  readonly images: FrameImage[];
}

export type WorkerReply =
  | { readonly type: 'ready'; readonly backend: 'onnx' | 'tensorflow' | 'wasm' | 'cpu'; readonly engine: string; readonly fellBack?: string | undefined; readonly model: ModelIdentity; readonly initMs: number }
  | { readonly type: 'error'; readonly name: string; readonly message: string }
  | { readonly type: 'result'; readonly id: number; readonly results: ImageResult[]; readonly inferMs: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

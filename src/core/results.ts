import type { FrameImage } from './image-decode.js';

/** A label's score for each of the model's labels (softmax: they sum to 1). */
export type Scores = Record<string, number>;

/** Where a frame sits in the video: what was asked for and what was decoded. */
export interface FramePosition {
  readonly index: number;
  readonly requestedTime: number;
  /** Presentation time of the decoded frame; null when no frame was decoded. */
  readonly actualTime: number | null;
}

/** A frame from the sampler, ready to classify, or the reason there is none. */
export type SampledFrame =
  | (FramePosition & { readonly status: 'sampled'; readonly image: FrameImage })
  | (FramePosition & { readonly status: 'failed'; readonly code: string; readonly message: string });

/** Per-frame telemetry from remote scoring; absent in local mode. */
export interface FrameTelemetry {
  readonly attempts?: number;
  readonly latencyMs?: number;
  readonly coldStart?: boolean;
}

export type FrameResult =
  | (FramePosition & FrameTelemetry & { readonly status: 'ok'; readonly scores: Scores; readonly top: { readonly label: string; readonly score: number } })
  | (FramePosition & FrameTelemetry & { readonly status: 'failed'; readonly code: string; readonly message: string });

export function failedFrame(frame: FramePosition, code: string, message: string, telemetry: FrameTelemetry = {}): FrameResult {
  return { index: frame.index, requestedTime: frame.requestedTime, actualTime: frame.actualTime, status: 'failed', code, message, ...telemetry };
}

/** The time a result is placed at in summaries: the decoded time when known. */
export function frameTime(frame: FramePosition): number {
  return frame.actualTime ?? frame.requestedTime;
}

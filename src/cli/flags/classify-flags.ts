import type { SamplingFlags } from '../option-values.js';

/** The flags commander hands over, all as given on the command line. */
export interface ClassifyFlags extends SamplingFlags {
  readonly local?: boolean;
  readonly model?: string;
  readonly backend: string;
  readonly workers?: string;
  readonly batchSize: string;
  readonly fit: string;
  readonly frameFormat: string;
  readonly threshold: string;
  readonly format: string;
  readonly out?: string;
  readonly output?: string;
  readonly outDir?: string;
  readonly sampleConcurrency?: string;
  readonly sampler?: string;
  readonly frameTimeout: string;
  readonly saveFrames?: string;
  readonly ffmpeg?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly s3Endpoint?: string;
  readonly html?: string;
  readonly function?: string;
  readonly manifest?: string;
  readonly resume?: boolean;
  readonly qualifier?: string;
  readonly concurrency?: string;
  readonly maxAttempts?: string;
  readonly invokeTimeout?: string;
  readonly warm?: boolean;
  readonly sampleOn?: string;
  readonly endpointUrl?: string;
  readonly architecture?: string;
  readonly priceGbSecond?: string;
  readonly priceRequest?: string;
}

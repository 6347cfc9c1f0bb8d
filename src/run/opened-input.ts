/** A video as ffmpeg will open it, and as messages and reports name it. */
export interface OpenedInput {
  /** What the user gave: a path, s3:// or https:// URI. Safe to show and record. */
  readonly source: string;
  /** What ffmpeg/ffprobe open: a path or URL; for S3 a presigned URL, which is a credential. */
  readonly input: string;
  readonly sizeBytes?: number | undefined;
  /** For s3:// inputs: the object as HeadObject saw it (a function sampling it checks the ETag). */
  readonly s3?: { readonly bucket: string; readonly key: string; readonly etag: string; readonly size: number } | undefined;
  /** Bytes this process has downloaded of a remote input so far (through the range relay). */
  readonly fetchedBytes?: (() => number) | undefined;
}

/** Options that reach remote inputs (S3 credentials and endpoints). */
export interface InputContext {
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
  readonly s3Endpoint?: string | undefined;
  /** Where AWS_ENDPOINT_URL_S3 and friends are read (default: process.env). */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

import { InputError } from '../core/errors.js';
import { checkLocalFile } from './ffmpeg/probe.js';

/** A video as ffmpeg will open it, and as messages and reports name it. */
export interface OpenedInput {
  /** What the user gave: a path, s3:// or https:// URI. Safe to show and record. */
  readonly source: string;
  /** What ffmpeg/ffprobe open: a path or URL; for S3 a presigned URL, which is a credential. */
  readonly input: string;
  readonly sizeBytes?: number | undefined;
}

/** Options that reach remote inputs (S3 credentials and endpoints). */
export interface InputContext {
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
  readonly s3Endpoint?: string | undefined;
}

export async function openInput(spec: string, context: InputContext): Promise<OpenedInput> {
  if (/^s3:\/\//i.test(spec)) {
    const { openS3Video } = await import('./s3/video.js');
    return openS3Video(spec, context);
  }
  if (/^https?:\/\//i.test(spec)) {
    try {
      new URL(spec);
    } catch {
      throw new InputError(`"${spec}" is not a valid URL`);
    }
    return { source: spec, input: spec };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new InputError(`cannot read video "${spec}": unsupported scheme (use a path, s3:// or https://)`);
  }
  const sizeBytes = await checkLocalFile(spec);
  return { source: spec, input: spec, sizeBytes };
}

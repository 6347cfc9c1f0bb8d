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
  /** Where AWS_ENDPOINT_URL_S3 and friends are read (default: process.env). */
  readonly env?: NodeJS.ProcessEnv | undefined;
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
    return { source: spec, input: spec, sizeBytes: await headHttpVideo(spec) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new InputError(`cannot read video "${spec}": unsupported scheme (use a path, s3:// or https://)`);
  }
  const sizeBytes = await checkLocalFile(spec);
  return { source: spec, input: spec, sizeBytes };
}

const HEAD_TIMEOUT_MS = 15_000;

/**
 * HEAD before ffprobe: a missing or forbidden URL gets one clear line instead of
 * ffprobe's "Server returned 4XX". Anything inconclusive (no HEAD support, a 5xx)
 * is left to ffprobe, which reads the ranges it needs itself.
 */
async function headHttpVideo(url: string): Promise<number | undefined> {
  const what = `cannot read video "${url}"`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(HEAD_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? (error as Error).name;
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(reason)) throw new InputError(`${what}: its TLS certificate is not trusted (${reason})`, { cause: error });
    throw new InputError(`${what}: cannot connect (${reason === 'TimeoutError' ? 'no answer in 15 s' : reason})`, { cause: error });
  }
  if (response.status === 404 || response.status === 410) throw new InputError(`${what}: no such file (HTTP ${response.status})`);
  if (response.status === 401 || response.status === 403) throw new InputError(`${what}: access denied (HTTP ${response.status})`);
  if (!response.ok) return undefined;
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (length === 0) throw new InputError(`${what}: the file is empty (0 bytes)`);
  return Number.isFinite(length) ? length : undefined;
}

import { open } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { imageSizeProblem, readImageHeader } from '../core/image-header.js';
import { checkLocalFile, type MediaInfo } from '../media/probe.js';
import { describeFetchFailure, fetchFailureCode } from '../media/source/fetch-failure.js';
import { contentRange } from '../media/source/http-range.js';
import type { InputContext, OpenedInput } from './opened-input.js';

export type { InputContext, OpenedInput } from './opened-input.js';

export async function openInput(spec: string, context: InputContext): Promise<OpenedInput> {
  if (/^s3:\/\//i.test(spec)) {
    const { openS3Video } = await import('./s3/video.js');
    return openS3Video(spec, context);
  }
  if (/^https?:\/\//i.test(spec)) {
    try {
      new URL(spec);
    } catch {
      throw new InputError(`cannot read video "${spec}": not a valid URL`);
    }
    const probe = await probeHttpVideo(spec);
    if (probe.ranges === undefined) return { source: spec, input: spec, sizeBytes: probe.sizeBytes };
    // Byte ranges work: read through the block-cache relay, as for S3 (ffmpeg alone drags megabytes per seek).
    const { relayRangedUrl } = await import('./s3/ranged-url.js');
    const name = decodeURIComponent(new URL(spec).pathname.split('/').pop() ?? '') || 'video';
    const relay = await relayRangedUrl(spec, probe.ranges, name);
    await refuseOversizedImageAt(relay.url, spec);
    return { source: spec, input: relay.url, fetchedBytes: relay.fetchedBytes, sizeBytes: probe.ranges };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new InputError(`cannot read video "${spec}": unsupported scheme (use a path, s3:// or https://)`);
  }
  const sizeBytes = await checkLocalFile(spec);
  await refuseOversizedImageFile(spec);
  return { source: spec, input: spec, sizeBytes };
}

/** Enough of a file to hold an image's header (a JPEG's SOF may follow large EXIF segments). */
const IMAGE_HEADER_BYTES = 256 * 1024;

/**
 * A still image is refused from the size its header declares, before ffprobe or
 * any decoder sees it: a 74-byte PNG can declare 30000×30000 (gigabytes decoded).
 */
async function refuseOversizedImageFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  let prefix: Uint8Array;
  try {
    const buffer = new Uint8Array(IMAGE_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    prefix = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const problem = sizeProblem(prefix);
  if (problem !== undefined) throw new InputError(`cannot read image "${file}": ${problem}`);
}

/**
 * The same check for a remote input, through its relay before ffprobe: the relay's
 * first block (which ffprobe reads next anyway, from the cache) holds the header.
 */
export async function refuseOversizedImageAt(relayUrl: string, source: string): Promise<void> {
  let prefix: Uint8Array;
  try {
    const response = await fetch(relayUrl, { headers: { Range: `bytes=0-${IMAGE_HEADER_BYTES - 1}` } });
    prefix = new Uint8Array(await response.arrayBuffer());
  } catch {
    return; // the relay's own failure is ffprobe's to report, with the real reason
  }
  const problem = sizeProblem(prefix);
  if (problem !== undefined) throw new InputError(`cannot read image "${source}": ${problem}`);
}

function sizeProblem(prefix: Uint8Array): string | undefined {
  const header = readImageHeader(prefix);
  if (header === undefined || 'problem' in header) return undefined; // not an image, or no size here: ffprobe and the decoder judge it
  return imageSizeProblem(header.width, header.height);
}

/** After ffprobe: a still from anywhere (a URL, S3, TIFF) is refused by the size ffprobe read from its header. */
export function refuseOversizedStill(media: MediaInfo): void {
  // 0×0: ffprobe could not tell (a damaged TIFF); the decoder judges those.
  const problem = media.stillImage && media.width > 0 && media.height > 0 ? imageSizeProblem(media.width, media.height) : undefined;
  if (problem !== undefined) throw new InputError(`cannot read image "${media.source}": ${problem}`);
}

const PROBE_TIMEOUT_MS = 15_000;

/**
 * Asks for the first byte before ffprobe: a missing or forbidden URL gets one
 * clear line instead of ffprobe's "Server returned 4XX", and the total size
 * comes back in Content-Range. A ranged GET rather than HEAD, because a
 * presigned GET URL (S3, GCS) refuses HEAD with 403. Anything inconclusive
 * (a 5xx) is left to ffprobe.
 */
async function probeHttpVideo(url: string): Promise<{ sizeBytes?: number | undefined; ranges?: number | undefined }> {
  const what = `cannot read video "${url}"`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { Range: 'bytes=0-0' }, redirect: 'follow', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (error) {
    const code = fetchFailureCode(error) ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) throw new InputError(`${what}: its TLS certificate is not trusted (${code})`, { cause: error });
    throw new InputError(`${what}: cannot connect: ${describeFetchFailure(error, PROBE_TIMEOUT_MS)}`, { cause: error });
  }
  // A server that ignores Range would send the whole file: read none of it.
  await response.body?.cancel();
  if (response.status === 404 || response.status === 410) throw new InputError(`${what}: no such file (HTTP ${response.status})`);
  if (response.status === 401 || response.status === 403) throw new InputError(`${what}: access denied (HTTP ${response.status})`);
  if (response.status === 416) throw new InputError(`${what}: the file is empty (0 bytes)`);
  const { total } = contentRange(response);
  // `ranges`: the total size, when the server answers byte ranges.
  if (response.status === 206 && total !== undefined && total > 0) return { sizeBytes: total, ranges: total };
  const length = Number(response.headers.get('content-length') ?? NaN);
  return { sizeBytes: response.status === 200 && Number.isFinite(length) && length > 0 ? length : undefined };
}

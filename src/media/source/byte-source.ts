import { open, type FileHandle } from 'node:fs/promises';
import { contentRange } from './http-range.js';

/** Random access to a video's bytes: a local file or an HTTP(S) URL that answers byte ranges. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes from `offset`, or fewer only at the end of the source. */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * Bytes from..to are about to be read in many small reads: a source where each read is a
   * round trip (the function's S3 object source) fetches them at once. Only a hint: a
   * file, read when asked, has none.
   */
  readAhead?(from: number, to: number): void;
  close(): Promise<void>;
}

/** `size`: the URL's length when known (a local file's is read from disk). */
export async function openByteSource(input: string, size?: number): Promise<ByteSource> {
  if (!/^https?:\/\//i.test(input)) return FileByteSource.open(input);
  return new HttpByteSource(input, size !== undefined && size > 0 ? size : await remoteSize(input));
}

/** The total from the Content-Range of a one-byte ranged GET (presigned URLs refuse HEAD). */
async function remoteSize(url: string): Promise<number> {
  const response = await fetch(url, { headers: { Range: 'bytes=0-0' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  await response.body?.cancel();
  const { total } = contentRange(response);
  if (response.status !== 206 || total === undefined) throw new Error(`no byte ranges (HTTP ${response.status})`);
  return total;
}

class FileByteSource implements ByteSource {
  private constructor(private readonly handle: FileHandle, readonly size: number) {}

  static async open(file: string): Promise<FileByteSource> {
    const handle = await open(file, 'r');
    try {
      return new FileByteSource(handle, (await handle.stat()).size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.allocUnsafe(wanted);
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await this.handle.read(buffer, filled, wanted - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === wanted ? buffer : buffer.subarray(0, filled);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

const HTTP_TIMEOUT_MS = 60_000;

/** Range GETs: the S3 block-cache relay and other servers that answer `Range`. */
class HttpByteSource implements ByteSource {
  constructor(private readonly url: string, readonly size: number) {}

  /** Servers may answer a range in parts (the S3 relay sends at most a block): ask again for the rest. */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.size);
    const parts: Buffer[] = [];
    for (let at = offset; at < end;) {
      const response = await fetch(this.url, { headers: { Range: `bytes=${at}-${end - 1}` }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      const { first } = contentRange(response);
      if (response.status !== 206 || first !== at) {
        await response.body?.cancel();
        throw new Error(`range ${at}-${end - 1} answered HTTP ${response.status}${response.status === 206 ? ` from byte ${first}` : ''}`);
      }
      const part = Buffer.from(await response.arrayBuffer());
      if (part.length === 0) throw new Error(`range ${at}-${end - 1} answered no bytes`);
      parts.push(part);
      at += part.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async close(): Promise<void> {}
}

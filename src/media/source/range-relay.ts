import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BlockCache } from './block-cache.js';

/**
 * A loopback HTTP server that ffmpeg/ffprobe read a remote object through (a
 * presigned S3 URL, an https:// file that answers byte ranges).
 *
 * Why not hand them the URL itself: ffmpeg asks for open-ended ranges
 * (`bytes=N-`), so every seek leaves whatever TCP had in flight unread, several
 * MB a time (measured on loopback: 5–19 MB per single-frame ffmpeg run of a
 * 245 MB file), and each per-frame process re-reads the moov atom and stream
 * headers. The relay answers each range with at most one cached block (ffmpeg's
 * `-reconnect 1` asks for the rest), so the origin serves only blocks someone
 * read, and each block once. The presigned URL stays in this process: no credential on
 * ffmpeg's command line, where `ps` would show it.
 */
export interface RangeRelay {
  /** http://127.0.0.1:PORT/<random token>/<name>: valid only while this process runs. */
  readonly url: string;
  close(): Promise<void>;
}

/** Cached blocks are dropped after this long without a request (the run has moved on). */
const IDLE_MS = 30_000;

export async function startRangeRelay(cache: BlockCache, name: string): Promise<RangeRelay> {
  const route = `/${randomBytes(16).toString('hex')}/${encodeURIComponent(name)}`;
  const sequential: Sequential = { end: -1, run: 0 };
  let idle: NodeJS.Timeout | undefined;
  const server = createServer((request, response) => {
    clearTimeout(idle);
    idle = setTimeout(() => cache.clear(), IDLE_MS).unref();
    serve(request, response, cache, route, sequential).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else response.writeHead(502, { 'Content-Type': 'text/plain' }).end(`cannot read the object: ${(error as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A relay left open must not keep the CLI alive after the last video.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${route}`,
    async close() {
      clearTimeout(idle);
      cache.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Where the last answer ended and how many answers in a row continued the one before. */
interface Sequential {
  end: number;
  run: number;
}

/** Answers one request with at most one block. */
async function serve(request: IncomingMessage, response: ServerResponse, cache: BlockCache, route: string, sequential: Sequential): Promise<void> {
  if (request.url !== route) return void response.writeHead(404).end();
  if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { Allow: 'GET, HEAD' }).end();
  const range = parseRange(request.headers.range, cache.size);
  if (range === 'unsatisfiable') return void response.writeHead(416, { 'Content-Range': `bytes */${cache.size}` }).end();
  const start = range?.start ?? 0;
  // At most to the end of start's block: ffmpeg asks again (-reconnect) if it wants more.
  const blockEnd = (Math.floor(start / cache.blockBytes) + 1) * cache.blockBytes - 1;
  const end = Math.min(range?.end ?? cache.size - 1, blockEnd, cache.size - 1);
  sequential.run = start === sequential.end + 1 ? sequential.run + 1 : 0;
  sequential.end = end;
  // Fetch before answering: a failure becomes a 502 that ffmpeg reports at once,
  // not a broken body it would retry with -reconnect.
  const parts: Uint8Array[] = [];
  if (request.method === 'GET') {
    for (let position = start; position <= end; position += parts[parts.length - 1]!.length) parts.push(await cache.slice(position, end));
  }
  response.writeHead(range === undefined && end === cache.size - 1 ? 200 : 206, {
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(end - start + 1),
    ...(range !== undefined || end < cache.size - 1 ? { 'Content-Range': `bytes ${start}-${end}/${cache.size}` } : {}),
  });
  if (request.method === 'HEAD') return void response.end();
  // A reader on its third block in a row is reading on (a scene pass): fetch ahead.
  // Not sooner: a seek usually needs only a block or two, and a prefetch it never reads is waste.
  if (sequential.run >= 2) cache.prefetch(Math.floor(end / cache.blockBytes) + 1);
  for (const bytes of parts) {
    if (response.destroyed) break;
    if (!response.write(bytes)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
  }
  response.end();
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // absent or multi-range: answer with the whole (bounded) body
  const [first, last] = [match[1] ?? '', match[2] ?? ''];
  if (first === '' && last === '') return undefined;
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

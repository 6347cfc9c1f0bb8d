/**
 * An HTTPS file server on 127.0.0.1 with a throwaway self-signed certificate
 * (made by openssl), answering byte ranges like a CDN: for https:// input
 * tests. Clients trust it through NODE_EXTRA_CA_CERTS=<cert>.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { listenOnLoopback } from './loopback.js';

export interface HttpsFileServer {
  /** https://127.0.0.1:PORT */
  readonly origin: string;
  /** The certificate, for NODE_EXTRA_CA_CERTS. */
  readonly certFile: string;
  /** Range headers received, in order ('' for a request without one). */
  readonly ranges: string[];
  servedBytes(): number;
  stop(): Promise<void>;
}

/** Serves `files` (URL path → bytes); anything else is 404. */
export async function startHttpsFileServer(files: Readonly<Record<string, Uint8Array>>): Promise<HttpsFileServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-https-'));
  const [certFile, keyFile] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const ranges: string[] = [];
  let served = 0;
  const server: Server = createServer({ cert: await readFile(certFile), key: await readFile(keyFile) }, (request, response) => {
    const body = files[request.url ?? ''];
    if (body === undefined) return void response.writeHead(404).end();
    const header = request.headers.range ?? '';
    ranges.push(header);
    const match = /^bytes=(\d+)-(\d*)$/.exec(header);
    const start = match ? Number(match[1]) : 0;
    const end = match && match[2] ? Math.min(Number(match[2]), body.length - 1) : body.length - 1;
    if (start >= body.length) return void response.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
    response.writeHead(match ? 206 : 200, {
      'Accept-Ranges': 'bytes', 'Content-Type': 'video/mp4', 'Content-Length': String(end - start + 1),
      ...(match ? { 'Content-Range': `bytes ${start}-${end}/${body.length}` } : {}),
    });
    if (request.method === 'HEAD') return void response.end();
    const slice = body.subarray(start, end + 1);
    served += slice.length;
    response.end(slice);
  });
  const port = await listenOnLoopback(server);
  return {
    origin: `https://127.0.0.1:${port}`,
    certFile,
    ranges,
    servedBytes: () => served,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A proxy in front of s3rver that adds the S3 conditional requests s3rver
 * ignores (checked: s3rver 3.7.1 stores a PUT with If-None-Match: * over an
 * existing key, and answers a HEAD with a wrong If-Match with 200):
 *   PUT  with If-None-Match: *  → 412 PreconditionFailed when the key exists
 *        (one conditional PUT per key at a time, so two racing writers get one 200 and one 412);
 *   HEAD/GET with If-Match: "etag" → 412 when the object's ETag differs.
 * Everything else is forwarded unchanged. It also counts requests by method and
 * key, so tests can tell whether a run read the video at all.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConditionalProxy {
  readonly endpoint: string;
  /** Requests seen, as "METHOD /bucket/key" (query string dropped). */
  readonly requests: string[];
  stop(): Promise<void>;
}

export async function startConditionalProxy(upstream: string): Promise<ConditionalProxy> {
  const target = new URL(upstream);
  const requests: string[] = [];
  const locks = new Map<string, Promise<void>>();

  const forward = (request: IncomingMessage, response: ServerResponse, body: Buffer): void => {
    const outgoing = http.request({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    outgoing.once('error', (error) => { response.writeHead(502).end(String(error)); });
    outgoing.end(body);
  };
  const upstreamEtag = (url: string): Promise<string | undefined> => new Promise((resolve, reject) => {
    const head = http.request({ host: target.hostname, port: target.port, method: 'HEAD', path: url.split('?')[0] }, (answer) => {
      answer.resume();
      resolve(answer.statusCode === 200 ? String(answer.headers.etag) : undefined);
    });
    head.once('error', reject);
    head.end();
  });
  const preconditionFailed = (response: ServerResponse, method: string | undefined): void => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
    response.writeHead(412, { 'content-type': 'application/xml' }).end(method === 'HEAD' ? undefined : xml);
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = request.url ?? '/';
      const key = url.split('?')[0]!;
      requests.push(`${request.method} ${decodeURIComponent(key)}`);
      void (async () => {
        if (request.method === 'PUT' && request.headers['if-none-match'] === '*') {
          // Serialise conditional writes per key: check and write as one step.
          const previous = locks.get(key) ?? Promise.resolve();
          let release!: () => void;
          const mine = new Promise<void>((resolve) => { release = resolve; });
          locks.set(key, previous.then(() => mine));
          await previous;
          try {
            if ((await upstreamEtag(url)) !== undefined) { preconditionFailed(response, request.method); return; }
            delete request.headers['if-none-match'];
            await new Promise<void>((resolve) => { response.once('finish', resolve); response.once('close', resolve); forward(request, response, body); });
          } finally {
            release();
          }
          return;
        }
        const ifMatch = request.headers['if-match'];
        if ((request.method === 'HEAD' || request.method === 'GET') && typeof ifMatch === 'string') {
          const etag = await upstreamEtag(url);
          if (etag !== undefined && etag !== ifMatch && ifMatch !== '*') { preconditionFailed(response, request.method); return; }
        }
        forward(request, response, body);
      })().catch((error: unknown) => { response.writeHead(500).end(String(error)); });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

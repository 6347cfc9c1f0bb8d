/**
 * A TCP proxy on 127.0.0.1 that counts the bytes a server sends to its
 * clients: put it in front of s3rver (or any HTTP server) to measure, on the
 * server side, how much of an object ffmpeg actually fetched. It counts what
 * left the server, headers included, so read-ahead that ffmpeg discards is
 * counted too: the honest number for "bytes served". With `requestDelayMs`, what a
 * client sends waits that long before it goes on (in order): each request's answer
 * starts about that late, as an S3 GET's first byte does (benches; a real server, a
 * real delay).
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { listenOnLoopback } from './loopback.js';

export interface CountingProxy {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Bytes sent from the server to clients since the last reset. */
  servedBytes(): number;
  /** TCP connections opened since the last reset (ffmpeg opens one per range request it makes after a seek). */
  connections(): number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(upstreamPort: number, { requestDelayMs = 0 } = {}): Promise<CountingProxy> {
  let served = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    connections += 1;
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // A reset on one side just ends the pair; the proxy must never crash a test.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (chunk: Buffer) => {
      served += chunk.length;
    });
    if (requestDelayMs > 0) {
      let sent = Promise.resolve();
      client.on('data', (chunk: Buffer) => {
        sent = sent.then(() => new Promise<void>((resolve) => setTimeout(() => {
          upstream.write(chunk);
          resolve();
        }, requestDelayMs)));
      });
      client.on('end', () => void sent.then(() => upstream.end()));
    } else client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    servedBytes: () => served,
    connections: () => connections,
    reset() {
      served = 0;
      connections = 0;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

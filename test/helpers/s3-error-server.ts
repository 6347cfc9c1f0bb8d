/**
 * A tiny S3 stand-in on 127.0.0.1 for the answers s3rver cannot give: bucket
 * `denied` answers 403 AccessDenied, bucket `elsewhere` answers 301
 * PermanentRedirect naming its region in x-amz-bucket-region (as S3 does for a
 * request sent to the wrong region). HEAD gets the status and headers only,
 * as from S3; other methods get S3's XML error body too. Requests for other
 * buckets go to `upstream` (s3rver) when given, else get 404 NoSuchBucket, so
 * one endpoint can serve every case of a test.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { listenOnLoopback } from './loopback.js';

export const ELSEWHERE_REGION = 'eu-west-1';

export interface S3ErrorServer {
  readonly endpoint: string;
  /** Request lines seen, e.g. "HEAD /denied/video.mp4". */
  readonly requests: string[];
  stop(): Promise<void>;
}

export async function startS3ErrorServer(upstream?: string): Promise<S3ErrorServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const bucket = (request.url ?? '/').split('?')[0]!.split('/')[1] ?? '';
    const requestId = 'FRAMESCORETEST01';
    const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
      response.writeHead(status, { 'Content-Type': 'application/xml', 'x-amz-request-id': requestId, ...headers });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (bucket === 'denied') return answer(403, 'AccessDenied', 'Access Denied');
    if (bucket === 'elsewhere') {
      return answer(301, 'PermanentRedirect', 'The bucket you are attempting to access must be addressed using the specified endpoint.', { 'x-amz-bucket-region': ELSEWHERE_REGION });
    }
    if (upstream === undefined) return answer(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const forwarded = httpRequest(new URL(request.url ?? '/', upstream), { method: request.method, headers: request.headers }, (reply) => {
      response.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(response);
    });
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

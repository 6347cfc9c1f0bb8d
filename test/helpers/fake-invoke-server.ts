/**
 * A real HTTP server on 127.0.0.1 that speaks the Lambda Invoke REST API
 * (POST /2015-03-31/functions/{name}/invocations, X-Amz-Function-Error,
 * X-Amz-Log-Result, X-Amz-Executed-Version, error types in X-Amzn-ErrorType),
 * for what serverless-offline cannot do: throttle at a concurrency cap, return
 * tail logs with REPORT lines, and inject faults. Responses come from a handler
 * function, so a test can return real scores, canned wrong ones, another model,
 * errors or slow answers.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImageResult } from '../../src/core/classifier.js';
import { CONTRACT_VERSION, parseInvokeRequest } from '../../src/core/contract.js';
import { fromWirePixels } from '../../src/core/wire-image.js';
import type { FrameImage } from '../../src/core/image-decode.js';
import { isRecord, MANIFEST_FILE, modelIdentity, parseManifest, type ModelIdentity } from '../../src/core/model-manifest.js';
import { listenOnLoopback } from './loopback.js';

export interface InvokeContext {
  readonly functionName: string;
  readonly qualifier: string | undefined;
  /** 1-based count of requests that reached the handler. */
  readonly invocation: number;
  /** Which simulated execution environment runs it, and whether it just started. */
  readonly environment: number;
  readonly coldStart: boolean;
  readonly initMs: number;
}

/** What the function "returns". `payload` is JSON-encoded unless `raw` is given. */
export interface FunctionReply {
  readonly payload?: unknown;
  readonly raw?: string;
  /** Sets X-Amz-Function-Error (HTTP 200 all the same), e.g. 'Unhandled'. */
  readonly functionError?: string;
  readonly delayMs?: number;
}

export type InvokeHandler = (event: unknown, context: InvokeContext) => Promise<FunctionReply> | FunctionReply;

/** A fault injected instead of (or around) the handler's reply. */
export type Fault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'service'; readonly status: 500 | 502 | 503 }
  | { readonly kind: 'reset' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'exit' }
  | { readonly kind: 'malformed' };

export interface FakeInvokeOptions {
  readonly handler: InvokeHandler;
  /** Known function names; others get ResourceNotFoundException. Default: any name. */
  readonly functions?: readonly string[];
  /** Concurrent executions allowed; beyond it, 429 TooManyRequestsException (like reserved concurrency). */
  readonly capacity?: number;
  /** Decides a fault for a request (after the capacity check), or none. */
  readonly faults?: (context: InvokeContext) => Fault | undefined;
  /** Fixed service time added to every invocation. */
  readonly serviceMs?: number;
  /** Return X-Amz-Log-Result with a REPORT line (Init Duration on cold starts). Default true. */
  readonly tailLogs?: boolean;
  readonly memoryMb?: number;
  readonly initMs?: number;
}

export interface FakeInvokeStats {
  requests: number;
  invocations: number;
  throttled: number;
  faults: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
  environments: number;
}

export interface FakeInvokeServer {
  readonly endpoint: string;
  readonly stats: FakeInvokeStats;
  /** In-flight count sampled at each request start: how parallel the client really was. */
  readonly inFlightSamples: number[];
  stop(): Promise<void>;
}

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function startFakeInvokeServer(options: FakeInvokeOptions): Promise<FakeInvokeServer> {
  const stats: FakeInvokeStats = { requests: 0, invocations: 0, throttled: 0, faults: {}, inFlight: 0, maxInFlight: 0, environments: 0 };
  const inFlightSamples: number[] = [];
  const idle: number[] = [];
  let requestCounter = 0;

  const server = createServer((request, response) => {
    void serve(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, 'ServiceException', String(error));
    });
  });
  server.keepAliveTimeout = 30_000;

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(request);
    // For a client in another process (the fan-out benchmark) to read the counts.
    if (request.method === 'GET' && url.pathname === '/__stats') {
      const cpu = process.cpuUsage();
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ...stats, processCpuMs: (cpu.user + cpu.system) / 1000 }));
      return;
    }
    stats.requests += 1;
    const match = PATH.exec(url.pathname);
    if (request.method !== 'POST' || match === null) return sendError(response, 404, 'UnknownOperationException', `no route ${request.method} ${url.pathname}`);
    const functionName = decodeURIComponent(match[1]!);
    if (options.functions !== undefined && !options.functions.includes(functionName)) {
      return sendError(response, 404, 'ResourceNotFoundException', `Function not found: arn:aws:lambda:us-east-1:123456789012:function:${functionName}`);
    }
    if (options.capacity !== undefined && stats.inFlight >= options.capacity) {
      stats.throttled += 1;
      return sendError(response, 429, 'TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', Type: 'User' });
    }
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    inFlightSamples.push(stats.inFlight);
    const coldStart = idle.length === 0;
    const environment = idle.pop() ?? ++stats.environments;
    const started = performance.now();
    const context: InvokeContext = {
      functionName, qualifier: url.searchParams.get('Qualifier') ?? undefined, invocation: ++requestCounter, environment, coldStart, initMs: coldStart ? options.initMs ?? 250 : 0,
    };
    let reusable = true;
    try {
      const fault = options.faults?.(context);
      if (fault !== undefined) stats.faults[fault.kind] = (stats.faults[fault.kind] ?? 0) + 1;
      if (fault?.kind === 'throttle') {
        stats.throttled += 1;
        return sendError(response, 429, 'TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ConcurrentInvocationLimitExceeded', Type: 'User' });
      }
      if (fault?.kind === 'service') return sendError(response, fault.status, 'ServiceException', 'Lambda was unable to process the request (injected)');
      if (fault?.kind === 'reset') {
        reusable = false;
        request.socket.destroy();
        return;
      }
      const event: unknown = parseJson(body);
      const reply = fault?.kind === 'exit'
        ? { payload: { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: x Error: Runtime exited with error: signal: killed' }, functionError: 'Unhandled' }
        : await options.handler(event, context);
      stats.invocations += 1;
      const delay = (options.serviceMs ?? 0) + (reply.delayMs ?? 0) + (fault?.kind === 'slow' ? fault.delayMs : 0);
      if (delay > 0) await sleep(delay);
      if (response.destroyed) return;
      const text = fault?.kind === 'malformed' ? '{"v":1,"results":[{"id"' : reply.raw ?? JSON.stringify(reply.payload ?? null);
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': context.qualifier ?? '$LATEST', 'X-Amzn-RequestId': `req-${context.invocation}` };
      if (reply.functionError !== undefined) headers['X-Amz-Function-Error'] = reply.functionError;
      if (options.tailLogs !== false && request.headers['x-amz-log-type'] === 'Tail') {
        headers['X-Amz-Log-Result'] = Buffer.from(reportLog(context, performance.now() - started, options.memoryMb ?? 2048)).toString('base64');
      }
      response.writeHead(200, headers).end(text);
    } finally {
      stats.inFlight -= 1;
      if (reusable) idle.push(environment);
    }
  }

  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    inFlightSamples,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The tail of a Lambda log: the function's line, then END and REPORT as the service writes them. */
export function reportLog(context: InvokeContext, durationMs: number, memoryMb: number): string {
  const id = `req-${context.invocation}`;
  const init = context.coldStart ? `\tInit Duration: ${context.initMs.toFixed(2)} ms` : '';
  return [
    `START RequestId: ${id} Version: $LATEST`,
    `END RequestId: ${id}`,
    `REPORT RequestId: ${id}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: 181 MB${init}\t`,
    '',
  ].join('\n');
}

function sendError(response: ServerResponse, status: number, type: string, message: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'X-Amzn-ErrorType': type }).end(JSON.stringify({ Type: 'User', ...extra, message }));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A classifier behind the fake function: real (the local Classifier) or canned. */
export interface FakeClassifier {
  readonly model: ModelIdentity;
  classify(images: readonly FrameImage[]): Promise<readonly ImageResult[]> | readonly ImageResult[];
}

/**
 * A handler that speaks the framescore contract like the real function:
 * warm-ups (holding for holdMs), batches, and INVALID_REQUEST for anything else.
 */
export function framescoreHandler(classifier: FakeClassifier): InvokeHandler {
  return async (event, context) => {
    const timing = { coldStart: context.coldStart, initMs: context.initMs };
    if (isRecord(event) && event.warmup === true) {
      const holdMs = typeof event.holdMs === 'number' ? event.holdMs : 0;
      return { payload: { warm: true, ...timing, model: classifier.model }, delayMs: holdMs };
    }
    let request;
    try {
      request = parseInvokeRequest(event);
    } catch (error) {
      return { payload: { v: CONTRACT_VERSION, error: { code: 'INVALID_REQUEST', message: (error as Error).message } } };
    }
    const started = performance.now();
    const images = request.frames.map((frame) => 'image' in frame ? new Uint8Array(Buffer.from(frame.image, 'base64')) : fromWirePixels(frame.pixels, Buffer.from(frame.pixels.data, 'base64')));
    const scored = await classifier.classify(images);
    const results = request.frames.map((frame, i) => ({ id: frame.id, ...scored[i]! }));
    return { payload: { v: request.v, model: classifier.model, results, timing: { ...timing, inferMs: performance.now() - started } } };
  };
}

/** The bundled model's identity, read from its manifest (no TensorFlow needed). */
export async function bundledModelIdentity(modelDir: string): Promise<ModelIdentity> {
  const manifest = parseManifest(JSON.parse(await readFile(path.join(modelDir, MANIFEST_FILE), 'utf8')), modelDir);
  return modelIdentity(manifest);
}

/** The same scores for every image: cheap, for tests about the fan-out rather than the model. */
export function cannedClassifier(model: ModelIdentity, scores: Readonly<Record<string, number>>): FakeClassifier {
  const top = Object.entries(scores).reduce((best, [label, score]) => (score > best.score ? { label, score } : best), { label: '', score: -Infinity });
  return { model, classify: (images) => images.map(() => ({ status: 'ok' as const, scores: { ...scores }, top })) };
}

/** Real scores from the local Classifier (wasm), loaded in the test process. */
export async function realClassifier(modelDir: string): Promise<FakeClassifier & { dispose(): void }> {
  const [{ Classifier }, { activateBackend }, { readModelBundle }, { directoryModelFiles }] = await Promise.all([
    import('../../src/core/classifier.js'), import('../../src/core/tf-backend.js'), import('../../src/core/model-files.js'), import('../../src/core/model-directory.js'),
  ]);
  await activateBackend('wasm');
  const classifier = await Classifier.load(await readModelBundle(directoryModelFiles(modelDir)));
  return { model: classifier.identity, classify: (images) => classifier.classify([...images]), dispose: () => classifier.dispose() };
}

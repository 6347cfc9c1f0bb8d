/**
 * One synchronous invocation with `LogType: Tail`, reduced to either a parsed
 * JSON payload or a classified failure. Never throws for anything the service
 * or network does; a FunctionError on HTTP 200 is a failure.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { classifyFunctionError, classifyInvokeError, type InvokeFailure } from './failure.js';
import type { LambdaTarget } from './client.js';
import { parseTailLog, type ReportLine } from './report-line.js';

export interface InvokeTelemetry {
  /** Client-side round trip of this attempt. */
  readonly latencyMs: number;
  readonly report?: ReportLine | undefined;
  readonly executedVersion?: string | undefined;
  readonly requestBytes: number;
}

export type InvokeOutcome =
  | { readonly ok: true; readonly payload: unknown; readonly telemetry: InvokeTelemetry }
  | { readonly ok: false; readonly failure: InvokeFailure; readonly telemetry: InvokeTelemetry };

export interface InvokeOptions {
  readonly timeoutMs: number;
  /** Aborts this invocation (Ctrl-C after the grace period). */
  readonly signal?: AbortSignal | undefined;
}

const decoder = new TextDecoder();

export async function invokeOnce(client: LambdaClient, target: LambdaTarget, body: string | Uint8Array, options: InvokeOptions): Promise<InvokeOutcome> {
  const started = performance.now();
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  // One controller per invocation rather than AbortSignal.any, whose dependants pile up on a long-lived parent signal in Node 20.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onStop = (): void => controller.abort();
  options.signal?.addEventListener('abort', onStop, { once: true });
  const abortSignal = controller.signal;
  const base = { requestBytes: payload.byteLength };
  try {
    const response = await client.send(
      new InvokeCommand({ FunctionName: target.functionName, Qualifier: target.qualifier, InvocationType: 'RequestResponse', LogType: 'Tail', Payload: payload }),
      { abortSignal },
    );
    const telemetry: InvokeTelemetry = {
      ...base,
      latencyMs: performance.now() - started,
      report: parseTailLog(response.LogResult),
      executedVersion: response.ExecutedVersion,
    };
    const text = response.Payload === undefined ? '' : decoder.decode(response.Payload);
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      if (response.FunctionError !== undefined) return { ok: false, failure: classifyFunctionError(response.FunctionError, undefined), telemetry };
      return { ok: false, failure: { kind: 'transient', code: 'MALFORMED_RESPONSE', message: `response is not JSON: ${JSON.stringify(text.slice(0, 80))}` }, telemetry };
    }
    if (response.FunctionError !== undefined) return { ok: false, failure: classifyFunctionError(response.FunctionError, parsed), telemetry };
    return { ok: true, payload: parsed, telemetry };
  } catch (error) {
    const telemetry: InvokeTelemetry = { ...base, latencyMs: performance.now() - started };
    if (timedOut) return { ok: false, failure: { kind: 'transient', code: 'CLIENT_TIMEOUT', message: `no response within ${options.timeoutMs} ms` }, telemetry };
    if (options.signal?.aborted) return { ok: false, failure: { kind: 'permanent', code: 'INTERRUPTED', message: 'abandoned after Ctrl-C' }, telemetry };
    return { ok: false, failure: classifyInvokeError(error), telemetry };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onStop);
  }
}

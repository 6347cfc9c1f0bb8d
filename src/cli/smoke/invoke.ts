import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { errorMessage } from '../../core/errors.js';
import { isRecord } from '../../core/model-manifest.js';

export interface FunctionTarget {
  readonly functionName: string;
  readonly qualifier?: string | undefined;
}

/** What one invocation gave: the parsed JSON payload, or a sentence saying what went wrong. */
export type InvokeOutcome =
  | { readonly ok: true; readonly latencyMs: number; readonly payload: unknown }
  | { readonly ok: false; readonly latencyMs: number; readonly problem: string };

/**
 * Invokes synchronously and times the round trip. A FunctionError is a
 * failure even though the HTTP status was 200; it never throws for the
 * function's or the network's faults.
 */
export async function invokeJson(client: LambdaClient, target: FunctionTarget, event: unknown, signal?: AbortSignal): Promise<InvokeOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let output;
  try {
    output = await client.send(
      new InvokeCommand({ FunctionName: target.functionName, Qualifier: target.qualifier, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
      { abortSignal: signal },
    );
  } catch (error) {
    return { ok: false, latencyMs: elapsed(), problem: sdkProblem(error) };
  }
  const latencyMs = elapsed();
  const text = output.Payload === undefined ? '' : new TextDecoder().decode(output.Payload);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return { ok: false, latencyMs, problem: `the response payload is not JSON: ${clip(text)}` };
  }
  if (output.FunctionError !== undefined) {
    const detail = isRecord(payload) ? `${String(payload.errorType ?? 'Error')}: ${String(payload.errorMessage ?? clip(text))}` : clip(text);
    return { ok: false, latencyMs, problem: `the function failed (FunctionError ${output.FunctionError}): ${detail}` };
  }
  return { ok: true, latencyMs, payload };
}

function sdkProblem(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
  if (code === 'ECONNREFUSED') return `cannot reach the Lambda endpoint: connection refused (${errorMessage(error)})`;
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || name === 'RequestTimeout') return `no answer in time: ${errorMessage(error)}`;
  return `${name}: ${errorMessage(error)}`;
}

export function clip(text: string, length = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

/**
 * The client's timeout for one invocation follows the function's own: a client that
 * gives up before the function does pays for the invocation and then again for its
 * retry, and the function's answer (finished before its deadline) is thrown away.
 * Read once per run with GetFunctionConfiguration; --invoke-timeout overrides it.
 */
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { errorMessage } from '../../core/errors.js';
import type { LambdaTarget } from './client.js';

/** Without the function's configuration (denied, an emulator that does not serve it). */
export const DEFAULT_INVOKE_TIMEOUT_MS = 30_000;
/** Beyond the function's timeout: the request and answer on the network, and Lambda's own queueing. */
export const NETWORK_MARGIN_MS = 5000;
/** GetFunctionConfiguration is one small GET; a run does not wait long for it. */
const CONFIG_TIMEOUT_MS = 10_000;

export interface InvokeTimeout {
  readonly timeoutMs: number;
  readonly source: 'flag' | 'function' | 'default';
  /** For --verbose: where the value came from, or why the default is used. */
  readonly note: string;
}

export async function resolveInvokeTimeout(client: LambdaClient, target: LambdaTarget, givenMs: number | undefined): Promise<InvokeTimeout> {
  if (givenMs !== undefined) return { timeoutMs: givenMs, source: 'flag', note: `invoke timeout ${givenMs / 1000} s (--invoke-timeout)` };
  let seconds: number | undefined;
  try {
    const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: target.functionName, Qualifier: target.qualifier }), {
      abortSignal: AbortSignal.timeout(CONFIG_TIMEOUT_MS),
    });
    seconds = config.Timeout;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const why = name === 'AccessDeniedException' || name === 'AccessDenied' ? 'lambda:GetFunctionConfiguration is denied' : `GetFunctionConfiguration failed: ${name}: ${errorMessage(error)}`;
    return fallback(why);
  }
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return fallback('GetFunctionConfiguration gave no Timeout');
  const timeoutMs = seconds * 1000 + NETWORK_MARGIN_MS;
  return { timeoutMs, source: 'function', note: `invoke timeout ${timeoutMs / 1000} s: the function's timeout (${seconds} s) + ${NETWORK_MARGIN_MS / 1000} s` };
}

function fallback(why: string): InvokeTimeout {
  return { timeoutMs: DEFAULT_INVOKE_TIMEOUT_MS, source: 'default', note: `invoke timeout ${DEFAULT_INVOKE_TIMEOUT_MS / 1000} s (the default; ${why}; --invoke-timeout sets it)` };
}

/**
 * Starts the function fleet for a run: one LambdaClient sized for the fan-out,
 * a probe (or --warm's warm-up) that fails fast on an unknown function and
 * learns its model, then the invocations' timeout from the function's own.
 * What the CLI's `classify --function` and the library's `classify(…, { lambda })` share.
 */
import type { FitMode } from '../../core/preprocess.js';
import type { Messages } from '../events.js';
import type { BatchSizeSetting } from './batching.js';
import { createLambdaClient, type LambdaTarget } from './client.js';
import type { Prices } from './cost.js';
import { DEFAULT_INVOKE_TIMEOUT_MS, NETWORK_MARGIN_MS, resolveInvokeTimeout } from './invoke-timeout.js';
import { LambdaScorer } from './scorer.js';

/** How long each warm-up keeps its environment busy, so Lambda starts distinct ones. */
const WARM_HOLD_MS = 1000;
/** Lambda's ceiling on a function's timeout. */
const MAX_FUNCTION_TIMEOUT_MS = 900_000;

export interface FleetSettings {
  readonly target: LambdaTarget;
  /** The most invocations in flight. */
  readonly concurrency: number;
  readonly maxAttempts: number;
  /** The client's timeout for one invocation; undefined: the function's configured timeout + a margin. */
  readonly timeoutMs: number | undefined;
  readonly batchSize: BatchSizeSetting;
  readonly prices: Prices;
  /** Start `concurrency` environments with warm-up events first. */
  readonly warm: boolean;
  readonly endpointUrl?: string | undefined;
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
  /** Where AWS_REGION, AWS_ENDPOINT_URL_LAMBDA and, when given, the keys are read (default process.env and the SDK's chain). */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export interface FleetDeps {
  readonly messages: Messages;
  readonly signal: AbortSignal;
  readonly fit: FitMode;
}

export async function startFleet(settings: FleetSettings, deps: FleetDeps): Promise<LambdaScorer> {
  const env = settings.env ?? process.env;
  // An explicit environment (a library caller's, tests) carries its own keys; else the SDK's chain reads process.env, profiles, SSO…
  const credentials = settings.env !== undefined && settings.profile === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
    : undefined;
  const connection = createLambdaClient(settings.target, {
    region: settings.region, profile: settings.profile, endpointUrl: settings.endpointUrl, env, credentials,
    // The socket limit only backs up each invocation's own timer (invoke.ts): as long as the longest a function may run.
    maxSockets: settings.concurrency + 8, timeoutMs: settings.timeoutMs ?? MAX_FUNCTION_TIMEOUT_MS + NETWORK_MARGIN_MS,
  });
  let scorer: LambdaScorer;
  try {
    scorer = await LambdaScorer.start({
      connection, target: settings.target, concurrency: settings.concurrency, batchSize: settings.batchSize, maxAttempts: settings.maxAttempts,
      // The probe first (an unknown function fails on it alone), then the function's timeout for the run.
      timeoutMs: settings.timeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS,
      invokeTimeout: async () => {
        const timeout = await resolveInvokeTimeout(connection.client, settings.target, settings.timeoutMs);
        deps.messages.debug(timeout.note);
        return timeout.timeoutMs;
      },
      prices: settings.prices, signal: deps.signal, fit: deps.fit,
      warmCount: settings.warm ? settings.concurrency : 0, warmHoldMs: WARM_HOLD_MS,
    });
  } catch (error) {
    connection.close();
    throw error;
  }
  const { warm } = scorer;
  if (settings.warm) deps.messages.info(`warmed ${warm.warmed}/${warm.requested} environments of ${scorer.description}: ${warm.cold} cold${warm.initMs.max === null ? '' : `, init p50 ${warm.initMs.p50} ms, max ${warm.initMs.max} ms`}`);
  deps.messages.debug(`model ${scorer.model.name} ${scorer.model.version} (${scorer.model.sha256.slice(0, 12)}…) on ${scorer.description}`);
  return scorer;
}

/**
 * The library's `lambda` option: the function fleet as the scorer (and, for
 * s3:// videos, the sampler), with the CLI's defaults (`classify --function`).
 */
import { MAX_FRAMES_PER_REQUEST } from '../core/contract.js';
import { OptionError } from '../run/errors.js';
import { ARCHITECTURES, DEFAULT_PRICE_GB_SECOND, DEFAULT_PRICE_REQUEST, type Architecture } from '../run/fleet/cost.js';
import { FLEET_DEFAULTS, MAX_CONCURRENCY, MAX_INVOKE_TIMEOUT_MS } from '../run/fleet/defaults.js';
import { SAMPLE_ON, type SampleOn } from '../run/fleet/sampling-refusal.js';
import type { FleetSettings } from '../run/fleet/start.js';
import { integer, oneOf } from './options.js';

export interface LambdaOptions {
  /** The classifier function: a name or ARN (as `classify --function`). */
  readonly functionName: string;
  /** An alias or version. */
  readonly qualifier?: string | undefined;
  /** The most invocations in flight (default 150); lowered on throttles, raised again as they stop. */
  readonly concurrency?: number | undefined;
  /** Where s3:// videos are sampled: auto (in the function when it can, default), lambda (insist), local (decode here). */
  readonly sampleOn?: SampleOn | undefined;
  /** Frames per invocation when frames are sampled here (default auto: one wave at the concurrency). */
  readonly batchSize?: number | 'auto' | undefined;
  /** The client's timeout for one invocation (default: the function's configured timeout + 5 s). */
  readonly invokeTimeoutMs?: number | undefined;
  /** Attempts per invocation for throttles and transient faults (default 6). */
  readonly maxAttempts?: number | undefined;
  /** Start `concurrency` environments with warm-up events first. */
  readonly warm?: boolean | undefined;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  /** A Lambda endpoint URL (serverless-offline, tests); else AWS_ENDPOINT_URL_LAMBDA or AWS's. */
  readonly endpoint?: string | undefined;
  /** For the cost estimate in report.run.lambda (default arm64, at the public on-demand prices). */
  readonly architecture?: Architecture | undefined;
}

export function fleetSettings(lambda: LambdaOptions, env: NodeJS.ProcessEnv | undefined): FleetSettings & { readonly sampleOn: SampleOn } {
  const name = typeof lambda.functionName === 'string' ? lambda.functionName.trim() : '';
  if (name === '') throw new OptionError('lambda.functionName must name the function (a name or ARN)');
  if (lambda.qualifier !== undefined && !/^[A-Za-z0-9$_-]{1,128}$/.test(lambda.qualifier)) throw new OptionError(`lambda.qualifier "${lambda.qualifier}" is not an alias or version`);
  const timeout = lambda.invokeTimeoutMs;
  if (timeout !== undefined && !(timeout > 0 && timeout <= MAX_INVOKE_TIMEOUT_MS)) throw new OptionError(`lambda.invokeTimeoutMs ${timeout} must be more than 0 and at most ${MAX_INVOKE_TIMEOUT_MS}`);
  if (lambda.endpoint !== undefined && !URL.canParse(lambda.endpoint)) throw new OptionError(`lambda.endpoint "${lambda.endpoint}" is not a URL`);
  const architecture = oneOf(lambda.architecture ?? FLEET_DEFAULTS.architecture, 'lambda.architecture', ARCHITECTURES);
  const batch = lambda.batchSize ?? 'auto';
  return {
    target: { functionName: name, qualifier: lambda.qualifier },
    concurrency: integer(lambda.concurrency ?? FLEET_DEFAULTS.concurrency, 'lambda.concurrency', 1, MAX_CONCURRENCY),
    maxAttempts: integer(lambda.maxAttempts ?? FLEET_DEFAULTS.maxAttempts, 'lambda.maxAttempts', 1, 20),
    timeoutMs: timeout,
    batchSize: batch === 'auto' ? { kind: 'auto' } : { kind: 'fixed', frames: integer(batch, 'lambda.batchSize', 1, MAX_FRAMES_PER_REQUEST) },
    prices: { architecture, perGbSecond: DEFAULT_PRICE_GB_SECOND[architecture], perRequest: DEFAULT_PRICE_REQUEST },
    warm: lambda.warm === true,
    endpointUrl: lambda.endpoint,
    profile: lambda.profile,
    region: lambda.region,
    env,
    sampleOn: oneOf(lambda.sampleOn ?? 'auto', 'lambda.sampleOn', SAMPLE_ON),
  };
}

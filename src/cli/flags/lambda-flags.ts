/** The Lambda flags of classify and warm, parsed into settings (or a UsageError naming the flag). */
import { MAX_FRAMES_PER_REQUEST } from '../../core/contract.js';
import { UsageError } from '../errors.js';
import { parseChoice, parseInteger, parseNumber } from '../option-values.js';
import type { BatchSizeSetting } from '../../run/fleet/batching.js';
import type { LambdaTarget } from '../../run/fleet/client.js';
import type { FleetSettings } from '../../run/fleet/start.js';
import { FLEET_DEFAULTS, MAX_CONCURRENCY } from '../../run/fleet/defaults.js';
import { ARCHITECTURES, DEFAULT_PRICE_GB_SECOND, DEFAULT_PRICE_REQUEST } from '../../run/fleet/cost.js';

export interface LambdaFlags {
  readonly function?: string | undefined;
  readonly qualifier?: string | undefined;
  readonly concurrency?: string | undefined;
  readonly maxAttempts?: string | undefined;
  readonly invokeTimeout?: string | undefined;
  readonly batchSize?: string | undefined;
  readonly architecture?: string | undefined;
  readonly priceGbSecond?: string | undefined;
  readonly priceRequest?: string | undefined;
  readonly endpointUrl?: string | undefined;
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
}

/** The fleet's settings as flags give them (--warm and the environment are the caller's). */
export type LambdaSettings = Omit<FleetSettings, 'warm' | 'env'>;


export function parseTarget(flags: Pick<LambdaFlags, 'function' | 'qualifier'>): LambdaTarget {
  const name = flags.function?.trim() ?? '';
  if (name === '') throw new UsageError('--function needs a function name or ARN');
  if (flags.qualifier !== undefined && !/^[A-Za-z0-9$_-]{1,128}$/.test(flags.qualifier)) throw new UsageError(`--qualifier "${flags.qualifier}" is not an alias or version`);
  return { functionName: name, qualifier: flags.qualifier };
}

export function parseLambdaSettings(flags: LambdaFlags): LambdaSettings {
  const architecture = parseChoice(flags.architecture ?? FLEET_DEFAULTS.architecture, '--architecture', ARCHITECTURES);
  return {
    target: parseTarget(flags),
    concurrency: parseInteger(flags.concurrency ?? String(FLEET_DEFAULTS.concurrency), '--concurrency', 1, MAX_CONCURRENCY),
    maxAttempts: parseInteger(flags.maxAttempts ?? String(FLEET_DEFAULTS.maxAttempts), '--max-attempts', 1, 20),
    timeoutMs: flags.invokeTimeout === undefined ? undefined : parseNumber(flags.invokeTimeout, '--invoke-timeout', 0, 900, { exclusiveMin: true }) * 1000,
    batchSize: parseBatchSize(flags.batchSize ?? 'auto'),
    prices: {
      architecture,
      perGbSecond: flags.priceGbSecond === undefined ? DEFAULT_PRICE_GB_SECOND[architecture] : parseNumber(flags.priceGbSecond, '--price-gb-second', 0, 1),
      perRequest: flags.priceRequest === undefined ? DEFAULT_PRICE_REQUEST : parseNumber(flags.priceRequest, '--price-request', 0, 1),
    },
    endpointUrl: flags.endpointUrl,
    profile: flags.profile,
    region: flags.region,
  };
}

export function parseBatchSize(value: string): BatchSizeSetting {
  return value === 'auto' ? { kind: 'auto' } : { kind: 'fixed', frames: parseInteger(value, '--batch-size', 1, MAX_FRAMES_PER_REQUEST) };
}

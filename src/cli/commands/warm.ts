import type { CommandContext, CommandStatus } from '../context.js';
import { createLambdaClient } from '../../run/fleet/client.js';
import { parseTarget } from '../flags/lambda-flags.js';
import { FLEET_DEFAULTS } from '../../run/fleet/defaults.js';
import { warmEnvironments } from '../../run/fleet/warmup.js';
import { parseInteger, parseNumber } from '../option-values.js';
import { MAX_HOLD_MS } from '../../core/contract.js';

export interface WarmFlags {
  readonly function: string;
  readonly qualifier?: string;
  readonly count: string;
  readonly holdMs: string;
  readonly endpointUrl?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly json?: boolean;
  readonly maxAttempts?: string;
  readonly invokeTimeout?: string;
}

/**
 * framescore warm: N concurrent warm-up events, each holding its environment
 * for --hold-ms so that N distinct environments start. Exit 0 when all N
 * answered, 3 when some could not be warmed.
 */
export async function warmCommand(flags: WarmFlags, context: CommandContext): Promise<CommandStatus> {
  const target = parseTarget(flags);
  const count = parseInteger(flags.count, '--count', 1, 5000);
  const holdMs = parseInteger(flags.holdMs, '--hold-ms', 0, MAX_HOLD_MS);
  const maxAttempts = parseInteger(flags.maxAttempts ?? String(FLEET_DEFAULTS.maxAttempts), '--max-attempts', 1, 20);
  const timeoutMs = parseNumber(flags.invokeTimeout ?? '30', '--invoke-timeout', 0, 900, { exclusiveMin: true }) * 1000;
  const connection = createLambdaClient(target, {
    region: flags.region, profile: flags.profile, endpointUrl: flags.endpointUrl, env: context.env, maxSockets: count + 8, timeoutMs: timeoutMs + holdMs,
  });
  try {
    context.messages.info(`warming ${count} environment${count === 1 ? '' : 's'} of ${target.functionName} (hold ${holdMs} ms)`);
    const result = await warmEnvironments({ client: connection.client, target, count, holdMs, timeoutMs, maxAttempts, signal: context.signal });
    if (flags.json === true) context.stdout.write(`${JSON.stringify({ function: target.functionName, qualifier: target.qualifier, ...result }, null, 2)}\n`);
    const init = result.initMs.max === null ? '' : `; init p50 ${result.initMs.p50} ms, max ${result.initMs.max} ms`;
    context.messages.info(`${result.warmed}/${count} environments warm, ${result.cold} were cold${init} (${result.wallMs} ms, ${result.attempts} invocations)`);
    for (const failure of result.failures.slice(0, 3)) context.messages.error(`warm-up failed: ${failure.code}: ${failure.message}`);
    if (context.signal.aborted) return 'interrupted';
    return result.warmed === count ? 'ok' : 'failures';
  } finally {
    connection.close();
  }
}

import type { CommandContext, CommandStatus } from '../context.js';
import { parseInteger, parseNumber } from '../option-values.js';
import { checkOutputFile, writeOutputFile } from '../../report/output-files.js';
import { DEFAULT_FIXTURES_DIR, loadSmokeFixtures } from '../smoke/fixtures.js';
import { renderJunit } from '../smoke/junit.js';
import { renderJson, renderText } from '../smoke/render.js';
import { checkHttpUrl } from '../smoke/url.js';

export interface SmokeFlags {
  readonly function: string;
  readonly qualifier?: string;
  readonly url?: string;
  readonly maxLatencyMs: string;
  readonly tolerance: string;
  readonly junit?: string;
  readonly json?: boolean;
  readonly endpointUrl?: string;
  readonly profile?: string;
  readonly region?: string;
}

/** A cold start plus model load can take many seconds; a smoke test should report it, not time out on it. */
const MIN_CALL_TIMEOUT_MS = 30_000;

/**
 * Checks a deployed classifier against the bundled fixtures. The report goes
 * to stdout (text, or JSON with --json); exit 0 only when every check passes.
 */
export async function smokeCommand(flags: SmokeFlags, context: CommandContext): Promise<CommandStatus> {
  const maxLatencyMs = parseInteger(flags.maxLatencyMs, '--max-latency-ms', 1, 900_000);
  const tolerance = parseNumber(flags.tolerance, '--tolerance', 0, 1);
  if (flags.url !== undefined) checkHttpUrl(flags.url, '--url');
  const timeoutMs = Math.max(MIN_CALL_TIMEOUT_MS, maxLatencyMs * 2);
  // The JUnit file must be writable before any call is made (exit 2 naming it).
  if (flags.junit !== undefined) await checkOutputFile(flags.junit);
  const fixtures = await loadSmokeFixtures(context.env.FRAMESCORE_SMOKE_FIXTURES || DEFAULT_FIXTURES_DIR);
  // The AWS SDK loads only once the flags and fixtures are known good: usage errors answer at once.
  const [{ createLambdaClient }, { runSmoke }] = await Promise.all([import('../../run/fleet/client.js'), import('../smoke/run.js')]);
  const target = { functionName: flags.function, qualifier: flags.qualifier };
  // One call at a time; the SDK's retries are off there, which suits a smoke test: a retry would hide the fault.
  const { client, endpoint, close } = createLambdaClient(target, { region: flags.region, profile: flags.profile, endpointUrl: flags.endpointUrl, env: context.env, timeoutMs, maxSockets: 2 });
  try {
    const result = await runSmoke({
      target,
      fixtures,
      tolerance,
      maxLatencyMs,
      url: flags.url,
      timeoutMs,
      endpoint,
    }, client, context.signal);
    if (context.signal.aborted) return 'interrupted';
    context.stdout.write(flags.json ? renderJson(result) : renderText(result));
    if (flags.junit !== undefined) {
      await writeOutputFile(flags.junit, renderJunit(result), context.stdout);
      context.messages.info(`wrote ${flags.junit}`);
    }
    return result.passed ? 'ok' : 'checks-failed';
  } finally {
    close();
  }
}

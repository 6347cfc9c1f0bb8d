/** classify --function: the same pipeline as local mode, with the Lambda fan-out as the scorer. */
import type { CommandContext } from '../context.js';
import { classify, type ClassifyOptions, type ClassifyOutcome } from '../../run/classify.js';
import type { ClassifyFlags } from '../flags/classify-flags.js';
import { createProgress, progressStyle } from '../output/progress.js';
import { createLambdaClient } from './client.js';
import { describeRun } from './describe-run.js';
import { DEFAULT_INVOKE_TIMEOUT_MS, NETWORK_MARGIN_MS, resolveInvokeTimeout } from './invoke-timeout.js';
import { parseLambdaSettings } from './options.js';
import { LambdaScorer } from './scorer.js';
import { SAMPLE_ON, type SampleOn } from './remote-sampling.js';
import { parseChoice } from '../option-values.js';

/** Videos in flight at once on Lambda: the next one samples while the last one's frames finish remotely. */
const LAMBDA_VIDEO_CONCURRENCY = 2;
const WARM_HOLD_MS = 1000;
/** Lambda's ceiling on a function's timeout. */
const MAX_FUNCTION_TIMEOUT_MS = 900_000;

export async function classifyOnLambda(options: ClassifyOptions, flags: ClassifyFlags, context: CommandContext): Promise<ClassifyOutcome> {
  const settings = parseLambdaSettings(flags);
  const connection = createLambdaClient(settings.target, {
    region: settings.region, profile: settings.profile, endpointUrl: settings.endpointUrl, env: context.env,
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
        context.messages.debug(timeout.note);
        return timeout.timeoutMs;
      }, prices: settings.prices, signal: context.signal, fit: options.fit,
      warmCount: flags.warm === true ? settings.concurrency : 0, warmHoldMs: WARM_HOLD_MS,
      sampleOn: parseChoice<SampleOn>(flags.sampleOn ?? 'auto', '--sample-on', SAMPLE_ON),
    });
  } catch (error) {
    connection.close();
    throw error;
  }
  const { warm } = scorer;
  if (flags.warm === true) context.messages.info(`warmed ${warm.warmed}/${warm.requested} environments of ${scorer.description}: ${warm.cold} cold${warm.initMs.max === null ? '' : `, init p50 ${warm.initMs.p50} ms, max ${warm.initMs.max} ms`}`);
  context.messages.debug(`model ${scorer.model.name} ${scorer.model.version} (${scorer.model.sha256.slice(0, 12)}…) on ${scorer.description}`);
  try {
    const outcome = await classify({ ...options, journal: true, videoConcurrency: LAMBDA_VIDEO_CONCURRENCY }, {
      stdout: context.stdout,
      messages: context.messages,
      progress: createProgress(progressStyle(context.stderr, context.env, context.quiet), context.stderr),
      signal: context.signal,
      manifest: scorer.model,
      scorer,
      mode: 'lambda',
    });
    context.messages.info(describeRun(scorer.facts()));
    return outcome;
  } finally {
    await scorer.close();
  }
}


/** The episode function's configuration from its environment (set by infra/template.yaml). */
import { prefixesOverlap } from './keys.js';
import { optionsFromEnv } from './options.js';
import type { EpisodeSettings } from './process-episode.js';

export class EpisodeSetupError extends Error {
  override readonly name = 'EpisodeSetupError';
}

export interface FunctionSettings extends EpisodeSettings {
  readonly eventBusName: string;
  /** Client timeout for one classifier invocation; undefined follows the classifier's own timeout. */
  readonly invokeTimeoutMs: number | undefined;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new EpisodeSetupError(`environment variable ${name} is not set`);
  return value;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): FunctionSettings {
  const inputPrefix = env.INPUT_PREFIX ?? '';
  const reportPrefix = required(env, 'REPORT_PREFIX');
  // The template refuses this too; a function configured by hand must not classify its own reports.
  if (prefixesOverlap(inputPrefix, reportPrefix)) throw new EpisodeSetupError(`INPUT_PREFIX "${inputPrefix}" and REPORT_PREFIX "${reportPrefix}" overlap: reports would land among the inputs`);
  const videoPrefix = env.VIDEO_PREFIX ?? '';
  if (!inputPrefix.startsWith(videoPrefix)) throw new EpisodeSetupError(`INPUT_PREFIX "${inputPrefix}" is not under VIDEO_PREFIX "${videoPrefix}", what the classifier may read`);
  const maxReceiveCount = Number(env.MAX_RECEIVE_COUNT ?? '3');
  if (!(Number.isInteger(maxReceiveCount) && maxReceiveCount >= 1)) throw new EpisodeSetupError(`MAX_RECEIVE_COUNT "${env.MAX_RECEIVE_COUNT}" is not a whole number of 1 or more`);
  const invokeTimeout = env.CLASSIFIER_INVOKE_TIMEOUT_MS;
  return {
    bucket: required(env, 'VIDEO_BUCKET'), inputPrefix, reportPrefix, videoPrefix, classifier: required(env, 'CLASSIFIER_FUNCTION'),
    defaults: optionsFromEnv(env), maxReceiveCount, eventBusName: env.EVENT_BUS_NAME || 'default',
    invokeTimeoutMs: invokeTimeout === undefined || invokeTimeout === '' ? undefined : Number(invokeTimeout),
  };
}

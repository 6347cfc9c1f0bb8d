/**
 * An episode's options: the stack's parameters (environment variables), then
 * the nearest per-prefix config object in the bucket over them (config-file.ts),
 * and a hash of the result that goes into the report key.
 */
import { createHash } from 'node:crypto';

export const SAMPLE_ON_CHOICES = ['auto', 'lambda', 'local'] as const;
export type SampleOnChoice = (typeof SAMPLE_ON_CHOICES)[number];

/** What decides an episode's report (hashed) plus how hard to push the classifier. */
export interface EpisodeOptions {
  /** A frame every so many seconds; else `frames` evenly spaced. */
  readonly every?: number | undefined;
  readonly frames?: number | undefined;
  readonly threshold: number;
  readonly keyframes: boolean;
  readonly sampleOn: SampleOnChoice;
  /** Classifier invocations in flight for this episode (the fleet peak is episodes × this). */
  readonly concurrency: number;
}

/** Keys a config object may set; anything else is refused, so a typo is not silently ignored. */
const OVERRIDABLE = ['every', 'frames', 'threshold', 'keyframes', 'sampleOn', 'concurrency'] as const;

export class EpisodeConfigError extends Error {
  override readonly name = 'EpisodeConfigError';
}

/** The stack's options from the function's environment (names as the template sets them). */
export function optionsFromEnv(env: NodeJS.ProcessEnv): EpisodeOptions {
  const number = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '' || raw === '0' && name === 'EVERY') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new EpisodeConfigError(`environment variable ${name}="${raw}" is not a number`);
    return value;
  };
  return validate({
    every: number('EVERY'),
    frames: number('FRAMES'),
    threshold: number('THRESHOLD') ?? 0.5,
    keyframes: env.KEYFRAMES === 'true',
    sampleOn: (env.SAMPLE_ON ?? 'auto') as SampleOnChoice,
    concurrency: number('CLASSIFIER_CONCURRENCY') ?? 50,
  }, 'the stack parameters');
}

/** The stack's options with a config object's keys over them; `every` and `frames` replace each other. */
export function applyOverride(base: EpisodeOptions, override: unknown, source: string): EpisodeOptions {
  if (typeof override !== 'object' || override === null || Array.isArray(override)) throw new EpisodeConfigError(`${source} is not a JSON object`);
  const entries = Object.entries(override);
  const unknown = entries.map(([key]) => key).filter((key) => !(OVERRIDABLE as readonly string[]).includes(key));
  if (unknown.length > 0) throw new EpisodeConfigError(`${source} sets ${unknown.join(', ')}; only ${OVERRIDABLE.join(', ')} may be set`);
  const merged: Record<string, unknown> = { ...base };
  const set = Object.fromEntries(entries) as Record<string, unknown>;
  if ('every' in set) delete merged.frames;
  if ('frames' in set) delete merged.every;
  const options = validate({ ...merged, ...set } as unknown as EpisodeOptions, source);
  // The stack's ClassifierConcurrency is the account-level budget it was deployed with: a folder may lower it, not raise it.
  return { ...options, concurrency: Math.min(options.concurrency, base.concurrency) };
}

function validate(options: EpisodeOptions, source: string): EpisodeOptions {
  const fail = (problem: string): never => { throw new EpisodeConfigError(`${source}: ${problem}`); };
  const { every, frames, threshold, keyframes, sampleOn, concurrency } = options;
  if (every !== undefined && !(typeof every === 'number' && every > 0 && every <= 86_400)) fail(`every ${String(every)} must be more than 0 and at most 86400 seconds`);
  if (frames !== undefined && !(Number.isInteger(frames) && frames >= 1 && frames <= 100_000)) fail(`frames ${String(frames)} must be a whole number from 1 to 100000`);
  if (every !== undefined && frames !== undefined) fail('every and frames cannot both be set');
  if (!(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) fail(`threshold ${String(threshold)} must be from 0 to 1`);
  if (typeof keyframes !== 'boolean') fail(`keyframes ${String(keyframes)} must be true or false`);
  if (!(SAMPLE_ON_CHOICES as readonly string[]).includes(sampleOn)) fail(`sampleOn "${String(sampleOn)}" must be one of ${SAMPLE_ON_CHOICES.join(', ')}`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000)) fail(`concurrency ${String(concurrency)} must be a whole number from 1 to 1000`);
  return { ...(every === undefined ? {} : { every }), ...(frames === undefined ? {} : { frames }), threshold, keyframes, sampleOn, concurrency };
}

/**
 * 12 hex digits of the sha256 of what decides the report's content: the
 * sampling, the threshold, the classifier function and the model it serves
 * (its sha256 as the classifier's warm-up answer names it, the report's
 * model.sha256), so a redeployed model classifies again. Concurrency and
 * sampleOn change how fast, not what, so a changed cap does not.
 */
export function optionsHash(options: EpisodeOptions, classifier: string, modelSha256: string): string {
  const decisive = { every: options.every ?? null, frames: options.frames ?? null, threshold: options.threshold, keyframes: options.keyframes, classifier, model: modelSha256 };
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex').slice(0, 12);
}

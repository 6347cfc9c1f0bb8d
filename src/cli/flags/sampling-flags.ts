/** The flags classify and sample share: which inputs, and how their frames are sampled. */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { errorMessage, InputError } from '../../core/errors.js';
import { FIT_MODES, type FitMode } from '../../core/preprocess.js';
import type { FrameFormat } from '../../media/decode/frame-output.js';
import { SAMPLING_METHODS, type SamplingMethod } from '../../media/sampling/sampler-options.js';
import { parseChoice, parseInteger, parseNumber, parseSampling, type SamplingFlags } from '../option-values.js';
import type { InputSampling } from '../../run/prepare-input.js';

export interface SamplingRunFlags extends SamplingFlags {
  readonly fit: string;
  readonly sampler?: string | undefined;
  readonly sampleConcurrency?: string | undefined;
  readonly frameTimeout: string;
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
  readonly s3Endpoint?: string | undefined;
  readonly manifest?: string | undefined;
}

export function parseInputSampling(flags: SamplingRunFlags, frameFormat: FrameFormat): InputSampling {
  return {
    sampling: parseSampling(flags),
    fit: parseChoice<FitMode>(flags.fit, '--fit', FIT_MODES),
    frameFormat,
    sampler: parseChoice<SamplingMethod>(flags.sampler ?? 'auto', '--sampler', SAMPLING_METHODS),
    sampleConcurrency: flags.sampleConcurrency === undefined ? os.availableParallelism() : parseInteger(flags.sampleConcurrency, '--sample-concurrency', 1, 64),
    frameTimeoutMs: parseNumber(flags.frameTimeout, '--frame-timeout', 0, 3600, { exclusiveMin: true }) * 1000,
    context: { profile: flags.profile, region: flags.region, s3Endpoint: flags.s3Endpoint },
  };
}

/** The inputs on the command line, then those --manifest lists. */
export async function readInputs(args: readonly string[], flags: Pick<SamplingRunFlags, 'manifest'>): Promise<string[]> {
  return flags.manifest === undefined ? [...args] : [...args, ...(await readManifest(flags.manifest))];
}

/** --manifest FILE: one path or URI per line; blank lines and # comments are skipped. */
async function readManifest(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read manifest "${file}": ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(error)}`, { cause: error });
  }
  const inputs = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  if (inputs.length === 0) throw new InputError(`manifest "${file}" lists no inputs`);
  return inputs;
}

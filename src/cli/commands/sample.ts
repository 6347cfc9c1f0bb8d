import type { CommandContext, CommandStatus } from '../context.js';
import { UsageError } from '../errors.js';
import { parseChoice, parseSize } from '../option-values.js';
import { createProgress, progressStyle } from '../output/progress.js';
import { sample, type SampleOutcome } from '../../run/sample.js';
import { parseInputSampling, readInputs, type SamplingRunFlags } from '../flags/sampling-flags.js';

/** The flags commander hands over, all as given on the command line. */
export interface SampleFlags extends SamplingRunFlags {
  readonly outDir: string;
  readonly format: string;
  readonly size: string;
  readonly ffmpeg?: string;
}

const IMAGE_FORMATS = ['png', 'jpeg'] as const;

export async function sampleCommand(args: string[], flags: SampleFlags, context: CommandContext): Promise<CommandStatus> {
  const inputs = await readInputs(args, flags);
  if (inputs.length === 0) throw new UsageError('sample needs a video, image or URI (see framescore sample --help)');
  const format = parseChoice(flags.format, '--format', IMAGE_FORMATS);
  const size = parseSize(flags.size, '--size');
  const outcome = await sample(
    { ...parseInputSampling(flags, format === 'jpeg' ? 'jpeg' : 'lossless'), inputs, outDir: flags.outDir, size, ffmpeg: flags.ffmpeg },
    {
      messages: context.messages,
      progress: createProgress(progressStyle(context.stderr, context.env, context.quiet), context.stderr, 'sampled'),
      signal: context.signal,
    },
  );
  return statusOf(outcome);
}

function statusOf(outcome: SampleOutcome): CommandStatus {
  if (outcome.interrupted) return 'interrupted';
  if (outcome.inputs.some((input) => input.lost === true)) return 'output-lost';
  if (outcome.inputs.some((input) => input.status === 'unreadable')) return 'bad-input';
  if (outcome.inputs.some((input) => input.status === 'failures')) return 'failures';
  return 'ok';
}

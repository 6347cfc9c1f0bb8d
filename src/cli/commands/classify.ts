import { readModelBundle } from '../../core/model-files.js';
import { directoryModelFiles } from '../../core/model-directory.js';
import type { CommandContext, CommandStatus } from '../context.js';
import { UsageError } from '../errors.js';
import { FRAME_FORMATS, type FrameFormat } from '../../media/decode/frame-output.js';
import { BACKEND_CHOICES } from '../../run/local/backend.js';
import { LazyLocalScorer } from '../../run/local/lazy-scorer.js';
import { parseChoice, parseFormats, parseInteger, parseNumber } from '../option-values.js';
import { parseInputSampling, readInputs } from '../flags/sampling-flags.js';
import type { ClassifyFlags } from '../flags/classify-flags.js';
import { createProgress, progressStyle } from '../output/progress.js';
import { resolveModelDir } from '../../run/model-source.js';
import { classify, type ClassifyOptions, type ClassifyOutcome } from '../../run/classify.js';
import { SAMPLE_ON, type RunScorer, type SampleOn } from '../../run/executor.js';
import { parseLambdaSettings } from '../flags/lambda-flags.js';
import { isStdoutPath } from '../../report/output-files.js';

/** Videos in flight at once on Lambda: the next one samples while the last one's frames finish remotely. */
const LAMBDA_VIDEO_CONCURRENCY = 2;

export async function classifyCommand(args: string[], flags: ClassifyFlags, context: CommandContext): Promise<CommandStatus> {
  const inputs = await readInputs(args, flags);
  if (inputs.length === 0) throw new UsageError('classify needs a video, image or URI (see framescore classify --help)');
  if (inputs.length > 1 && flags.html !== undefined) throw new UsageError('--html writes one report; with several inputs use "framescore report" on each JSON');
  if (inputs.length > 1 && (flags.out !== undefined || (flags.output !== undefined && !isStdoutPath(flags.output)))) {
    throw new UsageError('--out and -o name one report; with several inputs use --out-dir');
  }
  const formats = parseFormats(flags.format);
  if (flags.output !== undefined && !isStdoutPath(flags.output) && formats.length > 1) throw new UsageError('-o FILE takes one --format; use --out BASE for several');
  const options = {
    ...parseInputSampling(flags, parseChoice<FrameFormat>(flags.frameFormat, '--frame-format', FRAME_FORMATS)),
    inputs,
    threshold: parseNumber(flags.threshold, '--threshold', 0, 1),
    formats,
    out: flags.out,
    output: flags.output !== undefined && isStdoutPath(flags.output) ? '-' : flags.output,
    outDir: flags.outDir,
    saveFrames: flags.saveFrames,
    html: flags.html,
    ffmpeg: flags.ffmpeg,
    resume: flags.resume === true,
  };
  if (flags.function !== undefined) {
    if (flags.local === true) throw new UsageError('--local and --function cannot be used together');
    if (flags.model !== undefined) throw new UsageError('--model applies to --local; the function runs the model it was deployed with');
    const settings = parseLambdaSettings(flags);
    const sampleOn = parseChoice<SampleOn>(flags.sampleOn ?? 'auto', '--sample-on', SAMPLE_ON);
    // Imported only here so local runs never load the AWS SDK.
    const { startFleet } = await import('../../run/fleet/start.js');
    const scorer = await startFleet({ ...settings, warm: flags.warm === true, env: context.env }, { messages: context.messages, signal: context.signal, fit: options.fit });
    return runWith(scorer, { ...options, journal: true, videoConcurrency: LAMBDA_VIDEO_CONCURRENCY }, context, sampleOn);
  }
  const workers = flags.workers === undefined ? undefined : parseInteger(flags.workers, '--workers', 1, 64);
  const backend = parseChoice(flags.backend, '--backend', BACKEND_CHOICES);
  const batchSize = flags.batchSize === 'auto' ? 'auto' : parseInteger(flags.batchSize, '--batch-size', 1, 256);

  // Read and verify the model here first: a bad --model is a one-line error before any decoding starts.
  const modelDir = await resolveModelDir(flags.model, options.context);
  const bundle = await readModelBundle(directoryModelFiles(modelDir));
  const scorer = new LazyLocalScorer(bundle.manifest, { workers, backend, modelDir, batchSize, fit: options.fit }, (pool) => {
    context.messages.debug(`engine: ${pool.description}${pool.fellBack === undefined ? '' : `; not ONNX Runtime because ${pool.fellBack}`}`);
  });
  context.messages.debug(`model ${bundle.manifest.name} ${bundle.manifest.version} (${bundle.manifest.sha256.slice(0, 12)}…), --backend ${backend}${workers === undefined ? '' : `, ${workers} workers`}`);
  return runWith(scorer, options, context);
}

/** The run engine with this scorer; the scorer is closed at the end. */
async function runWith(scorer: RunScorer, options: ClassifyOptions, context: CommandContext, sampleOn?: SampleOn): Promise<CommandStatus> {
  try {
    const outcome = await classify(options, {
      stdout: context.stdout,
      messages: context.messages,
      progress: createProgress(progressStyle(context.stderr, context.env, context.quiet), context.stderr),
      signal: context.signal,
      manifest: scorer.model,
      scorer,
      sampleOn,
    });
    return statusOf(outcome);
  } finally {
    await scorer.close();
  }
}

export function statusOf(outcome: ClassifyOutcome): CommandStatus {
  if (outcome.interrupted) return 'interrupted';
  if (outcome.indexLost === true || outcome.videos.some((video) => video.lost === true)) return 'output-lost';
  if (outcome.videos.some((video) => video.status === 'unreadable')) return 'bad-input';
  if (outcome.videos.some((video) => video.status === 'failures')) return 'failures';
  return 'ok';
}

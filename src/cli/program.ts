import { Command, Option } from 'commander';
import type { CommandContext, CommandStatus } from './context.js';
import { VERSION } from './paths.js';

/**
 * The command table: options only. Each action imports its command lazily so
 * `framescore --help` does not load TensorFlow or the AWS SDK.
 */
export function buildProgram(context: CommandContext, done: (status: Promise<CommandStatus>) => void): Command {
  const program = new Command('framescore')
    .description('Score the frames of a video with an image-classification model, in-process or on AWS Lambda.')
    .version(VERSION)
    .option('-q, --quiet', 'no progress or messages on stderr (errors still appear)')
    .option('-v, --verbose', 'more detail, and stack traces for internal errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => context.stdout.write(text), writeErr: (text) => context.stderr.write(text) });

  program
    .command('classify')
    .description('sample frames from videos (or score still images) and write a score report per input')
    .argument('[inputs...]', 'video or image files, s3:// or https:// URIs')
    .option('--local', 'score in-process with the model (the default)')
    .option('--model <dir>', 'TF.js model directory with framescore-model.json or a Teachable Machine metadata.json (default: bundled MobileNetV2)')
    .addOption(new Option('--backend <name>', 'TF.js backend for local mode: auto|wasm|node|cpu').default('auto'))
    .option('--workers <n>', 'inference worker threads (default: one per core, at most 4)')
    .option('--batch-size <n>', 'frames per model call', '8')
    .option('--frames <n>', 'evenly spaced frames (default 150); with --scenes, the most to keep')
    .option('--every <seconds>', 'a frame every so many seconds')
    .option('--at <times>', 'frames at these times: 12.5,00:01:03.200,...')
    .option('--scenes [threshold]', 'frames at scene changes (score 0–1, default 0.3), capped by --frames')
    .option('--keyframes', 'decode only keyframes: much faster, each frame is the keyframe at or before its time')
    .option('--start <time>', 'sample from this time')
    .option('--end <time>', 'sample up to this time')
    .addOption(new Option('--fit <mode>', 'fit frames to the model input: crop (fill, centre crop) or stretch').default('crop'))
    .option('--threshold <score>', 'score at which a frame counts in the summary and segments', '0.5')
    .option('--format <list>', 'report formats: csv,json,jsonl', 'csv,json')
    .option('--out <base>', 'write BASE.csv, BASE.json, ... (default: the input name in --out-dir)')
    .option('-o, --output <file>', 'write the one --format to FILE, or - for stdout')
    .option('--out-dir <dir>', 'directory for reports named after each input', '.')
    .option('--sample-concurrency <n>', 'ffmpeg processes at once (default: one per core)')
    .option('--frame-timeout <seconds>', 'give up decoding one frame after this long', '60')
    .option('--save-frames <dir>', 'also keep the sampled JPEGs here')
    .option('--ffmpeg <path>', 'ffmpeg binary (ffprobe is looked for beside it); else FFMPEG_PATH, PATH, bundled')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (else AWS_ENDPOINT_URL_S3); path-style addressing')
    .action(async (inputs: string[], flags) => {
      const { classifyCommand } = await import('./commands/classify-command.js');
      done(classifyCommand(inputs, flags, context));
    });

  program
    .command('doctor')
    .description('show which ffmpeg, ffprobe, TF.js backend and model framescore would use')
    .option('--model <dir>', 'model directory to check')
    .addOption(new Option('--backend <name>', 'backend to try: auto|wasm|node|cpu').default('auto'))
    .option('--ffmpeg <path>', 'ffmpeg binary to check')
    .action(async (flags) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      done(doctorCommand(flags, context));
    });

  return program;
}

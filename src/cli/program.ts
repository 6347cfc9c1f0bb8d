import { Command, Option } from 'commander';
import type { CommandContext, CommandStatus } from './context.js';
import { VERSION } from '../run/paths.js';

/** Which frames to take: the options `classify` and `sample` share, in the same words. */
function withSamplingOptions(command: Command): Command {
  return command
    .option('--frames <n>', 'evenly spaced frames (default 150); with --scenes, the most to keep')
    .option('--every <seconds>', 'a frame every so many seconds')
    .option('--at <times>', 'frames at these times: 12.5,00:01:03.200,...')
    .option('--scenes [threshold]', 'frames at scene changes (score 0–1, default 0.3), capped by --frames')
    .option('--keyframes', 'decode only keyframes: much faster, each frame is the keyframe at or before its time')
    .option('--start <time>', 'sample from this time')
    .option('--end <time>', 'sample up to this time');
}

/** How to decode: the same choice for `classify` and `sample`. */
function samplerOption(): Option {
  return new Option('--sampler <method>', 'auto: the cheapest of the three below by an estimate from the file\'s index or probe (--verbose shows it); indexed: MP4/MOV, Matroska/WebM or MPEG-TS frames (H.264, HEVC, VP9) decoded by one long-lived ffmpeg per core from the file\'s index; seek: one ffmpeg per frame; sequential: one ffmpeg per stretch of the video per core, decoding straight through').choices(['auto', 'indexed', 'seek', 'sequential']).default('auto');
}

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
    .configureOutput({ writeOut: (text) => context.stdout.write(text), writeErr: (text) => context.stderr.write(text) })
    // Throw instead of process.exit, so main.ts decides the exit code; subcommands inherit this.
    .exitOverride();

  withSamplingOptions(program
    .command('classify')
    .description('sample frames from videos (or score still images) and write a score report per input')
    .argument('[inputs...]', 'video or image files, s3:// or https:// URIs')
    .option('--local', 'score in-process with the model (the default without --function)')
    .option('--model <dir|s3uri>', 'TF.js model directory (or s3:// prefix) with framescore-model.json or a Teachable Machine metadata.json (default: bundled MobileNetV2)')
    .addOption(new Option('--backend <name>', 'inference engine for local mode: auto (ONNX Runtime, else tfjs-node, else wasm) | onnx | wasm | node | cpu').default('auto'))
    .option('--workers <n>', 'local inference worker threads (default: one per core, at most 4; ONNX Runtime gets cores ÷ workers intra-op threads each)')
    .option('--batch-size <n|auto>', 'frames per model call (local) or per Lambda invocation', 'auto'))
    .addOption(new Option('--fit <mode>', 'fit frames to the model input: crop (fill, centre crop) or stretch').default('crop'))
    .option('--threshold <score>', 'score at which a frame counts in the summary and segments', '0.5')
    .option('--format <list>', 'report formats: csv,json,jsonl', 'csv,json')
    .option('--out <base>', 'write BASE.csv, BASE.json, ... (default: the input name in --out-dir)')
    .option('-o, --output <file>', 'write the one --format to FILE, or - for stdout')
    .option('--out-dir <dir>', 'directory for reports named after each input', '.')
    .option('--html <file>', 'also write a self-contained HTML report (one input)')
    .option('--manifest <file>', 'read inputs from FILE, one path or URI per line')
    .option('--resume', 'skip frames already scored in BASE.journal.jsonl (written as results arrive) for the same video, sampling and model')
    .addOption(samplerOption())
    .option('--sample-concurrency <n>', 'decoders (ffmpeg processes) at once (default: one per core)')
    .option('--frame-timeout <seconds>', 'give up decoding one frame after this long', '60')
    .addOption(new Option('--frame-format <format>', 'how frames leave the decoder: lossless (raw RGB; PNG on --save-frames) or jpeg (smaller uploads to --function, scores move slightly)').choices(['lossless', 'jpeg']).default('lossless'))
    .option('--save-frames <dir>', 'also keep the sampled frames here (PNG; JPEG with --frame-format jpeg)')
    .option('--ffmpeg <path>', 'ffmpeg binary (ffprobe is looked for beside it); else FFMPEG_PATH, PATH, bundled')
    .option('--function <name|arn>', 'score on this Lambda function instead of in-process')
    .option('--qualifier <alias|version>', 'Lambda alias or version')
    .option('--concurrency <n>', 'Lambda invocations in flight at most', '150')
    .option('--max-attempts <n>', 'attempts per invocation for throttles and transient faults', '6')
    .option('--invoke-timeout <seconds>', 'client timeout for one invocation (default: the function\'s timeout + 5 s, else 30)')
    .option('--warm', 'first start --concurrency environments with warm-up events (as framescore warm)')
    .addOption(new Option('--sample-on <where>', 's3:// videos with --function: auto (in the function when it says it can sample the object), lambda (insist), local (decode here)').choices(['auto', 'local', 'lambda']).default('auto'))
    .option('--endpoint-url <url>', 'Lambda endpoint (else AWS_ENDPOINT_URL_LAMBDA), e.g. an emulator')
    .addOption(new Option('--architecture <arch>', 'function architecture, for the cost estimate').choices(['arm64', 'x86_64']).default('arm64'))
    .option('--price-gb-second <usd>', 'Lambda price per GB-second (default: us-east-1 on-demand, arm64 0.0000133334, x86_64 0.0000166667)')
    .option('--price-request <usd>', 'Lambda price per request', '0.0000002')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (else AWS_ENDPOINT_URL_S3); path-style addressing')
    .action(async (inputs: string[], flags) => {
      const { classifyCommand } = await import('./commands/classify.js');
      done(classifyCommand(inputs, flags, context));
    });

  withSamplingOptions(program
    .command('sample')
    .description('sample frames as classify does, without a model: one image per frame and frames.csv per input')
    .argument('[inputs...]', 'video or image files, s3:// or https:// URIs')
    .requiredOption('--out-dir <dir>', 'where the frames and frames.csv go (several inputs: a subdirectory each, named after the input)')
    .addOption(new Option('--format <format>', 'image format: png (lossless) or jpeg (the decoder\'s JPEG, q 2, as --frame-format jpeg sends)').choices(['png', 'jpeg']).default('png'))
    .option('--size <WxH>', 'scale and crop (or stretch, --fit) video frames to this size; still images keep their own', '224x224'))
    .addOption(new Option('--fit <mode>', 'fit frames to --size: crop (fill, centre crop) or stretch').default('crop'))
    .option('--manifest <file>', 'read inputs from FILE, one path or URI per line')
    .addOption(samplerOption())
    .option('--sample-concurrency <n>', 'decoders (ffmpeg processes) at once (default: one per core)')
    .option('--frame-timeout <seconds>', 'give up decoding one frame after this long', '60')
    .option('--ffmpeg <path>', 'ffmpeg binary (ffprobe is looked for beside it); else FFMPEG_PATH, PATH, bundled')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (else AWS_ENDPOINT_URL_S3); path-style addressing')
    .action(async (inputs: string[], flags) => {
      const { sampleCommand } = await import('./commands/sample.js');
      done(sampleCommand(inputs, flags, context));
    });

  program
    .command('warm')
    .description('start N Lambda execution environments with concurrent warm-up events and report cold starts')
    .requiredOption('--function <name|arn>', 'the classifier function')
    .option('--qualifier <alias|version>', 'Lambda alias or version')
    .option('--count <n>', 'environments to warm', '10')
    .option('--hold-ms <ms>', 'how long each warm-up keeps its environment busy', '1000')
    .option('--max-attempts <n>', 'attempts per warm-up for throttles and transient faults', '6')
    .option('--invoke-timeout <seconds>', 'client timeout for one warm-up, on top of --hold-ms', '30')
    .option('--endpoint-url <url>', 'Lambda endpoint (else AWS_ENDPOINT_URL_LAMBDA)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (flags) => {
      const { warmCommand } = await import('./commands/warm.js');
      done(warmCommand(flags, context));
    });

  // The unattended flow (docs/unattended.md): backfill through its queue, and look at it.
  const queueOptions = (command: Command): Command => command
    .option('--function-stack <stack>', 'the deployed stack (infra/template.yaml with InputPrefix): its queues and report location')
    .option('--queue-url <url>', 'the episode queue, instead of --function-stack')
    .option('--cloudformation-endpoint <url>', 'CloudFormation endpoint (else AWS_ENDPOINT_URL_CLOUDFORMATION), e.g. an emulator')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (else AWS_ENDPOINT_URL_S3); path-style addressing')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region');
  queueOptions(program
    .command('submit')
    .description('send S3 videos (objects, prefixes ending in "/", or a manifest) to the unattended flow\'s queue')
    .argument('[inputs...]', 's3://bucket/key or s3://bucket/prefix/')
    .option('--manifest <file>', 'read inputs from FILE, one s3:// URI per line'))
    .action(async (inputs: string[], flags) => {
      const { submitCommand } = await import('./commands/submit.js');
      done(submitCommand(inputs, flags, context));
    });
  queueOptions(program
    .command('status')
    .description('the unattended flow: episodes queued and in flight, the dead-letter queue, recent reports (exit 3 when episodes are dead-lettered)')
    .option('--dead-letter-queue-url <url>', 'the dead-letter queue (default: from --function-stack)')
    .option('--reports <s3uri>', 'where the reports are, s3://bucket/prefix/ (default: from --function-stack)')
    .option('--recent <n>', 'newest reports to list', '10')
    .option('--json', 'print the status as JSON on stdout'))
    .action(async (flags) => {
      const { statusCommand } = await import('./commands/status.js');
      done(statusCommand(flags, context));
    });

  const model = program.command('model').description('manage models');
  model
    .command('push')
    .description('upload a model directory to S3 with a manifest carrying the sha256 of every file')
    .argument('<dir>', 'model directory')
    .argument('<s3uri>', 'destination prefix, s3://bucket/prefix/')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (else AWS_ENDPOINT_URL_S3)')
    .action(async (dir: string, uri: string, flags) => {
      const { modelPushCommand } = await import('./commands/model-push.js');
      done(modelPushCommand(dir, uri, flags, context));
    });

  program
    .command('report')
    .description('render an existing JSON report')
    .argument('<report.json>', 'a report written by classify --format json')
    .requiredOption('--html <file>', 'write a self-contained HTML report')
    .action(async (file: string, flags) => {
      const { reportCommand } = await import('./commands/report.js');
      done(reportCommand(file, flags, context));
    });

  program
    .command('smoke')
    .description('check a deployed classifier: expected scores, model sha256, latency; exit 0 only if all pass')
    .requiredOption('--function <name|arn>', 'the classifier function')
    .option('--qualifier <alias|version>', 'Lambda alias or version')
    .option('--url <function-url>', 'also POST a JPEG to this Function URL')
    .option('--max-latency-ms <ms>', 'warm invocation latency limit', '3000')
    .option('--tolerance <x>', 'largest allowed score difference', '0.0001')
    .option('--junit <file>', 'write JUnit XML')
    .option('--json', 'print results as JSON on stdout')
    .option('--endpoint-url <url>', 'Lambda endpoint (else AWS_ENDPOINT_URL_LAMBDA)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .action(async (flags) => {
      const { smokeCommand } = await import('./commands/smoke.js');
      done(smokeCommand(flags, context));
    });

  program
    .command('doctor')
    .description('show which ffmpeg, ffprobe, sampling path, inference engine and model framescore would use')
    .option('--model <dir>', 'model directory to check')
    .addOption(new Option('--backend <name>', 'engine to try: auto|onnx|wasm|node|cpu').default('auto'))
    .option('--ffmpeg <path>', 'ffmpeg binary to check')
    .action(async (flags) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      done(doctorCommand(flags, context));
    });

  return program;
}

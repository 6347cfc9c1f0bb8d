import path from 'node:path';
import { readModelBundle } from '../../core/model-files.js';
import { directoryModelFiles } from '../../core/model-directory.js';
import { errorMessage } from '../../core/errors.js';
import { wasmFeatures } from '../../core/tf-backend.js';
import type { CommandContext, CommandStatus } from '../context.js';
import { resolveBinaries } from '../../media/binaries.js';
import { runProcess } from '../../media/process.js';
import { BACKEND_CHOICES, chooseEngine } from '../../run/local/backend.js';
import { Classifier } from '../../core/classifier.js';
import type { ModelBundle } from '../../core/model-files.js';
import os from 'node:os';
import { parseChoice } from '../option-values.js';
import { DEFAULT_MODEL_DIR, VERSION } from '../../run/paths.js';

/** Prints what framescore would use, one `name: value` line each on stdout; problems make it exit 2. */
export async function doctorCommand(flags: { model?: string; backend: string; ffmpeg?: string }, context: CommandContext): Promise<CommandStatus> {
  const lines: Array<[string, string]> = [['framescore', VERSION], ['node', process.version]];
  let healthy = true;
  const fail = (name: string, error: unknown): void => {
    healthy = false;
    lines.push([name, `PROBLEM: ${errorMessage(error)}`]);
  };
  try {
    const binaries = resolveBinaries({ ffmpeg: flags.ffmpeg, env: context.env });
    for (const name of ['ffmpeg', 'ffprobe'] as const) {
      try {
        const { stdout } = await runProcess(binaries[name], ['-version'], { timeoutMs: 10_000 });
        const version = stdout.toString('utf8').split('\n')[0]?.split(' ')[2] ?? 'unknown';
        lines.push([name, `${binaries[name]} (version ${version}, from ${binaries.sources[name]})`]);
      } catch (error) {
        fail(name, error);
      }
    }
    if (healthy) {
      const { checkSampling } = await import('../doctor/sampling-check.js');
      const sampling = await checkSampling(binaries);
      lines.push(['sampling', sampling.text]);
      if (!sampling.ok) healthy = false;
      const { checkContainers } = await import('../doctor/containers.js');
      const containers = await checkContainers(binaries);
      if (containers.ok) lines.push(['containers', containers.text]);
      else {
        healthy = false;
        lines.push(['containers', `PROBLEM: ${containers.text}`]);
        context.messages.error(`doctor: ${containers.text}`);
      }
    }
  } catch (error) {
    fail('ffmpeg', error);
  }
  const modelDir = path.resolve(flags.model ?? DEFAULT_MODEL_DIR);
  let bundle: ModelBundle | undefined;
  try {
    bundle = await readModelBundle(directoryModelFiles(modelDir));
    const { manifest } = bundle;
    lines.push(['model', `${manifest.name} ${manifest.version} at ${modelDir}${bundle.onnx === undefined ? '' : ' (with its ONNX form)'}`]);
    lines.push(['model sha256', manifest.sha256]);
    lines.push(['model labels', manifest.labels.join(', ')]);
    lines.push(['model input', `${manifest.input.width}x${manifest.input.height}, pixels / ${manifest.normalization.divisor} + ${manifest.normalization.offset}`]);
  } catch (error) {
    fail('model', error);
  }
  if (bundle !== undefined) {
    try {
      const engine = await chooseEngine(parseChoice(flags.backend, '--backend', BACKEND_CHOICES), bundle, { threads: os.availableParallelism() });
      const classifier = await Classifier.load(bundle, engine.load);
      const detail = engine.backend === 'wasm' ? ` (SIMD ${(await wasmFeatures()).simd ? 'on' : 'off'}, single-threaded: local mode runs one worker per core)` : '';
      classifier.dispose();
      lines.push(['engine', `${classifier.engine.name}${detail}${engine.fellBack === undefined ? '' : `; not ONNX Runtime because ${engine.fellBack}`}`]);
    } catch (error) {
      fail('engine', error);
    }
  }
  const width = Math.max(...lines.map(([name]) => name.length));
  for (const [name, value] of lines) context.stdout.write(`${`${name}:`.padEnd(width + 2)}${value}\n`);
  return healthy ? 'ok' : 'bad-input';
}

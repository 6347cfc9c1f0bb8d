import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BinaryNotFoundError } from './errors.js';

export interface Binaries {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** Where each came from, for `framescore doctor`. */
  readonly sources: { readonly ffmpeg: BinarySource; readonly ffprobe: BinarySource };
}

export type BinarySource = 'option' | 'env' | 'beside --ffmpeg' | 'PATH' | 'npm package';

export interface BinaryOptions {
  /** --ffmpeg; ffprobe is then looked for beside it. */
  readonly ffmpeg?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

const require = createRequire(import.meta.url);

/**
 * Resolves ffmpeg and ffprobe: --ffmpeg / FFMPEG_PATH (FFPROBE_PATH), then the
 * programs on PATH, then the static builds shipped in @ffmpeg-installer/ffmpeg and
 * @ffprobe-installer/ffprobe, so a fresh `npm ci` always has both.
 */
export function resolveBinaries(options: BinaryOptions = {}): Binaries {
  const env = options.env ?? process.env;
  const ffmpeg = pick('ffmpeg', [
    [options.ffmpeg, 'option'],
    [env.FFMPEG_PATH, 'env'],
    [onPath('ffmpeg', env), 'PATH'],
    [fromPackage('@ffmpeg-installer/ffmpeg'), 'npm package'],
  ]);
  const besideFfmpeg = options.ffmpeg ? path.join(path.dirname(options.ffmpeg), path.basename(options.ffmpeg).replace(/ffmpeg/, 'ffprobe')) : undefined;
  const ffprobe = pick('ffprobe', [
    [env.FFPROBE_PATH, 'env'],
    [besideFfmpeg && isExecutable(besideFfmpeg) ? besideFfmpeg : undefined, 'beside --ffmpeg'],
    [onPath('ffprobe', env), 'PATH'],
    [fromPackage('@ffprobe-installer/ffprobe'), 'npm package'],
  ]);
  return { ffmpeg: ffmpeg.file, ffprobe: ffprobe.file, sources: { ffmpeg: ffmpeg.source, ffprobe: ffprobe.source } };
}

function pick(name: string, candidates: Array<[string | undefined, BinarySource]>): { file: string; source: BinarySource } {
  for (const [file, source] of candidates) {
    if (file === undefined || file === '') continue;
    // An explicit choice that does not work is an error, not a reason to fall back silently.
    if ((source === 'option' || source === 'env') && !isExecutable(file)) {
      throw new BinaryNotFoundError(`${name} "${file}" (from ${source === 'option' ? `--${name}` : `${name.toUpperCase()}_PATH`}) is not an executable file`);
    }
    return { file, source };
  }
  throw new BinaryNotFoundError(`${name} not found: install it (apt-get install ffmpeg), set ${name.toUpperCase()}_PATH, or reinstall framescore's dependencies`);
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function fromPackage(name: string): string | undefined {
  let file: string;
  try {
    file = (require(name) as { path: string }).path;
  } catch {
    return undefined;
  }
  if (isExecutable(file)) return file;
  if (!isFile(file)) return undefined;
  // The binary is there without its execute bit: its package's postinstall (chmod u+x) did not run,
  // as npm 11 skips dependencies' install scripts unless allowed and --ignore-scripts skips them all.
  try {
    chmodSync(file, statSync(file).mode | 0o100);
  } catch (error) {
    throw new BinaryNotFoundError(`${file} (from ${name}) is not executable and cannot be made so (${(error as NodeJS.ErrnoException).code ?? 'error'}): run chmod u+x on it, or set ${path.basename(file).toUpperCase()}_PATH`, { cause: error });
  }
  return isExecutable(file) ? file : undefined;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

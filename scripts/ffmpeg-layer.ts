/**
 * The ffmpeg Lambda layers: dist/ffmpeg-layer-<architecture>.zip with bin/ffmpeg
 * (mode 0755; a layer is extracted to /opt, where src/lambda/sampling/access.ts
 * looks for /opt/bin/ffmpeg) and its GPL licence and source notice. The binaries
 * are the static builds in @ffmpeg-installer/linux-*: the x86_64 one is installed;
 * the arm64 one is an optional dependency npm skips on x86_64, so it is fetched
 * with `npm pack` (not installed), checked against a pinned integrity and cached.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../src/core/model-files.js';
import { unzipSync } from 'fflate';
import { elfMachine, nativeEntries, zipEntryModes, zipFiles } from './lambda-zip.js';
import { ELF_MACHINE, type LambdaArchitecture } from './onnxruntime-files.js';
import { readTgz } from './tar.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_NPM_CACHE = path.join(root, 'dist', '.cache', 'npm');
const GPL_TEXT = path.join(root, 'scripts', 'licences', 'GPL-3.0.txt');

export const FFMPEG_BIN = 'bin/ffmpeg';
export const FFMPEG_LICENCE = 'licenses/ffmpeg/GPL-3.0.txt';
export const FFMPEG_NOTICE = 'licenses/ffmpeg/NOTICE.txt';

interface FfmpegPackage {
  readonly name: string;
  readonly version: string;
  /** npm's sha512 integrity of the tarball, checked before a fetched or cached tarball is used. */
  readonly integrity: string;
}

const PACKAGES = {
  arm64: { name: '@ffmpeg-installer/linux-arm64', version: '4.1.4', integrity: 'sha512-dljEqAOD0oIM6O6DxBW9US/FkvqvQwgJ2lGHOwHDDwu/pX8+V0YsDL1xqHbj1DMX/+nP9rxw7G7gcUvGspSoKg==' },
  x86_64: { name: '@ffmpeg-installer/linux-x64', version: '4.1.0', integrity: '' },
} as const satisfies Record<LambdaArchitecture, FfmpegPackage>;

export interface LayerResult {
  readonly architecture: LambdaArchitecture;
  readonly out: string;
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
  readonly sha256: string;
  readonly files: readonly string[];
  /** Where the binary came from: name@version. */
  readonly source: string;
}

export function layerZipName(architecture: LambdaArchitecture): string {
  return `ffmpeg-layer-${architecture}.zip`;
}

/** The package's ffmpeg binary and package.json: from node_modules when that version is installed, else from npm (cached). */
async function packageFiles(pkg: FfmpegPackage, cacheDir: string): Promise<{ ffmpeg: Uint8Array; manifest: Record<string, unknown> }> {
  const installed = installedDir(pkg);
  if (installed !== undefined) {
    const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    if (manifest.version === pkg.version) return { ffmpeg: new Uint8Array(await readFile(path.join(installed, 'ffmpeg'))), manifest };
    if (pkg.integrity === '') throw new Error(`${pkg.name} in node_modules is ${String(manifest.version)}, not ${pkg.version}`);
  }
  if (pkg.integrity === '') throw new Error(`${pkg.name}@${pkg.version} is not installed in node_modules (run npm ci)`);
  const files = readTgz(await cachedTarball(pkg, cacheDir));
  const ffmpeg = files.get('package/ffmpeg');
  const manifest = files.get('package/package.json');
  if (ffmpeg === undefined || manifest === undefined) throw new Error(`${pkg.name}@${pkg.version}'s tarball has no package/ffmpeg or package/package.json`);
  return { ffmpeg, manifest: JSON.parse(new TextDecoder().decode(manifest)) as Record<string, unknown> };
}

function installedDir(pkg: FfmpegPackage): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${pkg.name}/package.json`);
    const dir = path.dirname(manifest);
    return existsSync(path.join(dir, 'ffmpeg')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** The tarball from cacheDir, else `npm pack` into a staging directory renamed into place once its integrity matched. */
async function cachedTarball(pkg: FfmpegPackage, cacheDir: string): Promise<Uint8Array> {
  const file = path.join(cacheDir, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
  if (existsSync(file)) {
    const cached = new Uint8Array(await readFile(file));
    if (integrityOf(cached) === pkg.integrity) return cached;
    await rm(file, { force: true });
  }
  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(path.join(cacheDir, '.pack-'));
  try {
    await npm(['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', staging, '--silent']);
    const fetched = new Uint8Array(await readFile(path.join(staging, path.basename(file))));
    const integrity = integrityOf(fetched);
    if (integrity !== pkg.integrity) throw new Error(`${pkg.name}@${pkg.version} from npm has integrity ${integrity}, not the pinned ${pkg.integrity}`);
    await rename(path.join(staging, path.basename(file)), file);
    return fetched;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Runs npm (the one running this script under `npm run`, else the one on PATH) with an argument array. */
function npm(args: readonly string[]): Promise<void> {
  const cli = process.env.npm_execpath;
  const [command, argv] = cli !== undefined && cli.endsWith('.js') ? [process.execPath, [cli, ...args]] : ['npm', [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once('error', (error: NodeJS.ErrnoException) => reject(new Error(error.code === 'ENOENT' ? 'npm not found on PATH' : `cannot run npm: ${error.message}`, { cause: error })));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`npm ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** The build's ./configure line, as embedded in the binary (printed by `ffmpeg -version`). */
function configuration(ffmpeg: Uint8Array): string | undefined {
  const at = Buffer.from(ffmpeg.buffer, ffmpeg.byteOffset, ffmpeg.byteLength).indexOf('--enable-gpl');
  if (at < 0) return undefined;
  const start = ffmpeg.lastIndexOf(0, at) + 1;
  const end = ffmpeg.indexOf(0, at);
  const text = new TextDecoder().decode(ffmpeg.subarray(start, end < 0 ? undefined : end));
  return text.slice(text.indexOf('--'));
}

function notice(pkg: FfmpegPackage, manifest: Record<string, unknown>, ffmpeg: Uint8Array): string {
  const build = typeof manifest.ffmpeg === 'string' ? manifest.ffmpeg : 'unknown';
  const commit = /-g([0-9a-f]{7,40})$/.exec(build)?.[1];
  const homepage = typeof manifest.homepage === 'string' ? manifest.homepage : 'https://www.johnvansickle.com/ffmpeg/';
  return [
    `bin/ffmpeg is FFmpeg, a static build (build ${build}) by John Van Sickle (${homepage}),`,
    `unmodified, as published in the npm package ${pkg.name}@${pkg.version}.`,
    `It is free software under the GNU General Public License, version 3 (the package's licence:`,
    `"${String(manifest.license)}"); the licence text is GPL-3.0.txt beside this file. It comes with NO WARRANTY.`,
    '',
    'Source code:',
    `- FFmpeg: https://git.ffmpeg.org/ffmpeg.git${commit === undefined ? '' : `, commit ${commit}`} (https://ffmpeg.org/download.html).`,
    `- The static build and the libraries it links (listed in its configuration below): ${homepage}`,
    '  Whoever conveys this layer to others must make the complete corresponding source available (GPLv3 §6).',
    '',
    'Configuration:',
    `  ${configuration(ffmpeg) ?? 'not found in the binary'}`,
    '',
  ].join('\n');
}

/** Writes dist/ffmpeg-layer-<architecture>.zip (or the same name under outDir) for each architecture. */
export async function packageFfmpegLayers(outDir: string, architectures: readonly LambdaArchitecture[], cacheDir = DEFAULT_NPM_CACHE): Promise<LayerResult[]> {
  const results: LayerResult[] = [];
  for (const architecture of architectures) results.push(await packageFfmpegLayer(path.join(outDir, layerZipName(architecture)), architecture, cacheDir));
  return results;
}

export async function packageFfmpegLayer(out: string, architecture: LambdaArchitecture, cacheDir = DEFAULT_NPM_CACHE): Promise<LayerResult> {
  const pkg: FfmpegPackage = PACKAGES[architecture];
  const { ffmpeg, manifest } = await packageFiles(pkg, cacheDir);
  const files = new Map<string, Uint8Array>([
    [FFMPEG_BIN, ffmpeg],
    [FFMPEG_LICENCE, new Uint8Array(await readFile(GPL_TEXT))],
    [FFMPEG_NOTICE, new TextEncoder().encode(notice(pkg, manifest, ffmpeg))],
  ]);
  const { zip, unzippedBytes, names } = zipFiles(files, new Set([FFMPEG_BIN]));
  // Checked on what the zip holds, not on what went in.
  const entries = unzipSync(zip);
  const native = nativeEntries(entries);
  if (native.join() !== FFMPEG_BIN) throw new Error(`the ${architecture} layer's native files are ${native.join(', ') || 'none'}, not just ${FFMPEG_BIN}`);
  const machine = elfMachine(entries[FFMPEG_BIN]!);
  if (machine !== ELF_MACHINE[architecture]) throw new Error(`${pkg.name}@${pkg.version}'s ffmpeg is ${machine === undefined ? 'not an ELF file' : `for ELF machine 0x${machine.toString(16)}`}, not ${architecture} (0x${ELF_MACHINE[architecture].toString(16)})`);
  if (zipEntryModes(zip).get(FFMPEG_BIN) !== 0o100755) throw new Error(`the ${architecture} layer's ${FFMPEG_BIN} is not stored with mode 0755`);
  // A layer's zip has the same 50 MB direct-upload limit as a function's.
  if (zip.byteLength > 50 * 1024 * 1024) throw new Error(`the ${architecture} ffmpeg layer zip is ${zip.byteLength} bytes, over Lambda's 50 MB upload limit`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, zip);
  return { architecture, out, zippedBytes: zip.byteLength, unzippedBytes, sha256: sha256Hex(zip), files: names, source: `${pkg.name}@${pkg.version}` };
}

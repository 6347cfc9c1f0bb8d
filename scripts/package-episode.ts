/**
 * Packages the episode function: dist/episode-<arch>.zip with the esbuild
 * bundle (index.mjs) and that architecture's static ffprobe (bin/ffprobe, mode
 * 0755; it plans the episode, the ffmpeg layer decodes the rare local frames).
 * No ONNX Runtime, no TF.js: the function plans and fans out, the classifier
 * scores; packaging fails if the bundle pulled either in.
 *   node dist/scripts/package-episode.js [--arch arm64|x86_64] [--out-dir DIR]
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { elfMachine, nativeEntries, zipFiles } from './lambda-zip.js';
import { readTgz } from './tar.js';
import { runProcess } from '../src/media/process.js';
import { architecturesFromArgs, option } from './script-args.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MB = 1024 * 1024;
const LIMITS = { zipped: 50 * MB, unzipped: 250 * MB } as const;
export const EPISODE_ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type EpisodeArchitecture = (typeof EPISODE_ARCHITECTURES)[number];
const ELF_MACHINE: Record<EpisodeArchitecture, number> = { arm64: 0xb7, x86_64: 0x3e };
export const FFPROBE_BIN = 'bin/ffprobe';

/** The static ffprobe builds @ffprobe-installer/ffprobe 2.1.2 depends on (GPL-3.0), pinned by integrity. */
const FFPROBE_PACKAGES: Record<EpisodeArchitecture, { name: string; version: string; integrity: string }> = {
  arm64: { name: '@ffprobe-installer/linux-arm64', version: '5.2.0', integrity: 'sha512-X1VvWtlLs6ScP73biVLuHD5ohKJKsMTa0vafCESOen4mOoNeLAYbxOVxDWAdFz9cpZgRiloFj5QD6nDj8E28yQ==' },
  x86_64: { name: '@ffprobe-installer/linux-x64', version: '5.2.0', integrity: '' },
};
/** Modules the episode bundle must not contain (the classifier's business). */
const FORBIDDEN_INPUTS = [/node_modules\/onnxruntime-/, /node_modules\/@tensorflow\//, /node_modules\/nsfwjs\//];

export interface EpisodePackage {
  readonly architecture: EpisodeArchitecture;
  readonly out: string;
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
  readonly sha256: string;
  readonly files: readonly string[];
}

export function episodeZipName(architecture: EpisodeArchitecture): string {
  return `episode-${architecture}.zip`;
}

export async function packageEpisode(out: string, architecture: EpisodeArchitecture = 'x86_64', cacheDir = path.join(root, 'dist', '.cache', 'npm')): Promise<EpisodePackage> {
  const files = await bundle();
  const ffprobe = await ffprobeBinary(architecture, cacheDir);
  if (elfMachine(ffprobe) !== ELF_MACHINE[architecture]) throw new Error(`the ${architecture} ffprobe is not an ${architecture} ELF binary`);
  files.set(FFPROBE_BIN, ffprobe);
  files.set('licenses/ffprobe/NOTICE.txt', new TextEncoder().encode(`bin/ffprobe: ${FFPROBE_PACKAGES[architecture].name}@${FFPROBE_PACKAGES[architecture].version} from the npm registry, a static FFmpeg build under the GPL-3.0; FFmpeg's source: https://ffmpeg.org/download.html\n`));
  const { zip, unzippedBytes, names } = zipFiles(files, new Set([FFPROBE_BIN]));
  const native = nativeEntries(zip);
  if (native.join() !== FFPROBE_BIN) throw new Error(`the episode package's only native file must be ${FFPROBE_BIN}, not: ${native.join(', ')}`);
  if (zip.byteLength > LIMITS.zipped || unzippedBytes > LIMITS.unzipped) throw new Error(`the ${architecture} episode zip is ${(zip.byteLength / MB).toFixed(1)} MB (${(unzippedBytes / MB).toFixed(1)} MB unzipped), over Lambda's limits`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, zip);
  return { architecture, out, zippedBytes: zip.byteLength, unzippedBytes, sha256: createHash('sha256').update(zip).digest('hex'), files: names };
}

async function bundle(): Promise<Map<string, Uint8Array>> {
  const outfile = path.join(root, 'dist', 'episode-bundle', 'index.mjs');
  const built = await build({
    entryPoints: [path.join(root, 'src', 'lambda', 'episode', 'index.ts')],
    outfile, write: false, bundle: true, platform: 'node', target: 'node22', format: 'esm', minify: true,
    sourcemap: 'linked', sourcesContent: false, legalComments: 'linked', metafile: true, logLevel: 'warning',
    // ESM output still meets CommonJS dependencies (the AWS SDK) that call require().
    banner: { js: "import { createRequire as __framescoreCreateRequire } from 'node:module'; const require = __framescoreCreateRequire(import.meta.url);" },
    plugins: [inlineVersion(JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).version as string), noLocalScoring()],
  });
  const forbidden = Object.keys(built.metafile.inputs).filter((input) => FORBIDDEN_INPUTS.some((pattern) => pattern.test(input)));
  if (forbidden.length > 0) throw new Error(`the episode bundle pulled in the classifier's engines: ${forbidden.slice(0, 5).join(', ')}`);
  const files = new Map<string, Uint8Array>();
  for (const output of built.outputFiles) files.set(path.relative(path.dirname(outfile), output.path).split(path.sep).join('/'), output.contents);
  return files;
}

/** run/paths.ts reads the version from package.json beside the sources at import; the zip has no package.json, so the bundle carries the string. */
function inlineVersion(version: string): Plugin {
  return {
    name: 'inline-version',
    setup(esbuild) {
      esbuild.onLoad({ filter: /[\\/]src[\\/]run[\\/]paths\.ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const inlined = source.replace(/^export const VERSION: string = .*$/m, `export const VERSION: string = ${JSON.stringify(version)};`);
        if (inlined === source) throw new Error('src/run/paths.ts no longer declares VERSION as packaging expects');
        return { contents: inlined, loader: 'ts' };
      });
    },
  };
}

/**
 * The library's classify imports the local scorer (TF.js, ONNX Runtime) lazily,
 * only when it scores in-process; the episode function always scores on the
 * classifier fleet. That one dynamic import becomes a module that says so, and
 * the engines stay out of the zip.
 */
function noLocalScoring(): Plugin {
  return {
    name: 'no-local-scoring',
    setup(esbuild) {
      esbuild.onResolve({ filter: /[\\/]local[\\/]lazy-scorer\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: 'lazy-scorer', namespace: 'episode-fleet-only' } : undefined));
      esbuild.onLoad({ filter: /.*/, namespace: 'episode-fleet-only' }, () => ({
        contents: "export class LazyLocalScorer { constructor() { throw new Error('the episode function scores on the classifier function only (classify with the lambda option)'); } }",
        loader: 'js',
      }));
    },
  };
}

/** x86_64's from node_modules (npm installs it here); arm64's tarball fetched once with `npm pack` and checked against its pinned integrity. */
async function ffprobeBinary(architecture: EpisodeArchitecture, cacheDir: string): Promise<Uint8Array> {
  const pkg = FFPROBE_PACKAGES[architecture];
  if (pkg.integrity === '') {
    const dir = path.dirname(createRequire(import.meta.url).resolve(`${pkg.name}/package.json`));
    return new Uint8Array(await readFile(path.join(dir, 'ffprobe')));
  }
  const tarball = path.join(cacheDir, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`);
  let bytes: Uint8Array | undefined = await readFile(tarball).then((data) => new Uint8Array(data), () => undefined);
  if (bytes === undefined || integrityOf(bytes) !== pkg.integrity) {
    await mkdir(cacheDir, { recursive: true });
    const staging = await mkdtemp(path.join(cacheDir, '.pack-'));
    try {
      const npmCli = process.env.npm_execpath;
      const [command, args] = npmCli?.endsWith('.js') === true ? [process.execPath, [npmCli]] : ['npm', []];
      await runProcess(command, [...args, 'pack', `${pkg.name}@${pkg.version}`, '--pack-destination', staging, '--silent'], {});
      const fetched = new Uint8Array(await readFile(path.join(staging, path.basename(tarball))));
      if (integrityOf(fetched) !== pkg.integrity) throw new Error(`${pkg.name}@${pkg.version} from npm does not match its pinned integrity`);
      await rename(path.join(staging, path.basename(tarball)), tarball);
      bytes = fetched;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const binary = readTgz(bytes).get('package/ffprobe');
  if (binary === undefined) throw new Error(`${pkg.name}@${pkg.version}'s tarball has no package/ffprobe`);
  return binary;
}

function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(option('--out-dir') ?? path.join(root, 'dist'));
  try {
    for (const architecture of architecturesFromArgs(EPISODE_ARCHITECTURES)) {
      const result = await packageEpisode(path.join(outDir, episodeZipName(architecture)), architecture);
      console.log(`${path.relative(process.cwd(), result.out)}: ${result.files.length} files, sha256 ${result.sha256}; zipped ${(result.zippedBytes / MB).toFixed(2)} MB, unzipped ${(result.unzippedBytes / MB).toFixed(2)} MB`);
    }
  } catch (error) {
    console.error(`framescore: cannot package the episode function: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

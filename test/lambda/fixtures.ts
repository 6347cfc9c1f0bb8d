/**
 * Shared fixtures for the Lambda tests: test images made with ffmpeg, the
 * packaged zip and its ONNX Runtime layer unpacked into an empty temp dir, and a
 * fresh `node` process that runs a handler module against a list of events.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractZip } from '../../scripts/lambda-zip.js';
import { packageLambda, zipName, type LambdaArchitecture, type PackageResult } from '../../scripts/package-lambda.js';
import { onnxRuntimeLayerZipName, packageOnnxRuntimeLayer, type OnnxRuntimeLayerResult } from '../../scripts/onnxruntime-layer.js';
import { runFfmpeg } from '../helpers/ffmpeg.js';
import { startServerlessOffline, type OfflineServer } from '../helpers/serverless-offline.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const unbundledHandler = path.join(repoRoot, 'dist', 'src', 'lambda', 'index.js');
export const defaultModelDir = path.join(repoRoot, 'models', 'nsfw-mobilenet-v2');

const tempDirs: string[] = [];
// Removed when the test file's process exits, however its tests ended.
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `framescore-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** A 224×224 (or given size) test-pattern frame encoded by ffmpeg as .jpg or .png. */
export async function makeImage(dir: string, name: string, size = '224x224', pattern = 'testsrc2'): Promise<Uint8Array> {
  const file = path.join(dir, name);
  await runFfmpeg(['-f', 'lavfi', '-i', `${pattern}=size=${size}`, '-frames:v', '1', file]);
  return new Uint8Array(await readFile(file));
}

export interface UnpackedPackage extends PackageResult {
  /** The zip's contents, in a temp dir with no node_modules above it. */
  readonly dir: string;
  /** The ONNX Runtime layer as packaged, and where it is unpacked (Lambda's /opt). */
  readonly layer: OnnxRuntimeLayerResult;
  readonly layerDir: string;
  /** The environment that points the function at layerDir instead of /opt (src/core/engines/onnx.ts). */
  readonly env: Readonly<Record<string, string>>;
  cleanup(): Promise<void>;
}

/**
 * Runs the real packaging into a temp zip and unpacks it into an empty temp dir, and its
 * ONNX Runtime layer beside it as Lambda would into /opt (x86_64: this machine's architecture).
 */
export async function unpackedPackage(architecture: LambdaArchitecture = 'x86_64'): Promise<UnpackedPackage> {
  const work = await tempDir('package');
  const result = await packageLambda(path.join(work, zipName(architecture)), architecture);
  const layer = await packageOnnxRuntimeLayer(path.join(work, onnxRuntimeLayerZipName(architecture)), architecture);
  const dir = path.join(work, 'unzipped');
  const layerDir = path.join(work, 'opt');
  await extractZip(new Uint8Array(await readFile(result.out)), dir);
  await extractZip(new Uint8Array(await readFile(layer.out)), layerDir);
  return { ...result, dir, layer, layerDir, env: { FRAMESCORE_ONNXRUNTIME_LAYER: layerDir }, cleanup: () => rm(work, { recursive: true, force: true }) };
}

export interface HandlerRun {
  readonly responses: unknown[];
  /** Structured log lines the handler wrote to stdout. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stdout: string;
  readonly stderr: string;
}

const RESULT_MARK = '@@framescore-responses ';
// Inline so that no extra .js file lands under dist/test, where `node --test` would run it.
const RUNNER = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const { handler } = await import(pathToFileURL(process.env.FRAMESCORE_HANDLER_MODULE).href);
const events = JSON.parse(readFileSync(0, 'utf8'));
const responses = [];
for (const [i, event] of events.entries()) {
  responses.push(await handler(event, { awsRequestId: 'req-' + i, getRemainingTimeInMillis: () => 60000 }));
}
process.stdout.write('\\n${RESULT_MARK}' + JSON.stringify(responses) + '\\n');
`;

/**
 * Runs handlerModule in a fresh `node` process (fresh module-scope init) with
 * cwd set to its directory, feeding it the events one after another.
 */
export async function runHandlerProcess(handlerModule: string, events: readonly unknown[], env: Record<string, string> = {}): Promise<HandlerRun> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER], {
    cwd: path.dirname(handlerModule),
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), FRAMESCORE_HANDLER_MODULE: handlerModule, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(events));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const marked = stdout.split('\n').find((line) => line.startsWith(RESULT_MARK));
  if (code !== 0 || marked === undefined) throw new Error(`handler process exited ${code}:\n${stderr.slice(-2000)}\n${stdout.slice(-1000)}`);
  const logs = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { responses: JSON.parse(marked.slice(RESULT_MARK.length)) as unknown[], logs, stdout, stderr };
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** The packaged zip, unpacked, running under serverless-offline; `stop` ends the emulator and removes the files. */
export interface PackagedOffline {
  readonly server: OfflineServer;
  stop(): Promise<void>;
}

export interface PackagedOfflineOptions {
  readonly lambdaPort?: number;
  readonly httpPort?: number;
  /**
   * More environment for serverless-offline, which serverless.yml passes on to the
   * function: VIDEO_URI_PREFIXES, FFMPEG_PATH, AWS_ENDPOINT_URL_S3 and AWS credentials
   * (FRAMESCORE_ONNXRUNTIME_LAYER, the unpacked ONNX Runtime layer, is always set).
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** Each suite passes its own ports so suites never collide (3002/3003 are the emulator's defaults). */
export async function startPackagedOffline(options: PackagedOfflineOptions = {}): Promise<PackagedOffline> {
  const { env, ...ports } = options;
  const pkg = await unpackedPackage();
  try {
    const server = await startServerlessOffline({ servicePath: repoRoot, ...ports, env: { ...env, ...pkg.env, FRAMESCORE_LAMBDA_ZIP: pkg.out, FRAMESCORE_OFFLINE_DIR: pkg.dir } });
    return { server, stop: async () => { await server.stop(); await pkg.cleanup(); } };
  } catch (error) {
    await pkg.cleanup();
    throw error;
  }
}

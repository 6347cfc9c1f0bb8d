/**
 * onnxruntime-node as the ONNX Runtime layer carries it (scripts/onnxruntime-layer.ts):
 * nodejs/node_modules/onnxruntime-node (package.json, dist/*.js, and the linux binding of
 * one architecture) and the CommonJS half of onnxruntime-common, which is all its dist
 * requires at run time (adm-zip and global-agent serve only its install script). Lambda
 * extracts a layer to /opt, where src/core/engines/onnx.ts looks for /opt/nodejs/node_modules.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { elfMachine, listFiles } from './lambda-zip.js';

export const ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type LambdaArchitecture = (typeof ARCHITECTURES)[number];

/** Lambda's architecture name → Node's process.arch, which names the binding's directory. */
const NODE_ARCH = { arm64: 'arm64', x86_64: 'x64' } as const satisfies Record<LambdaArchitecture, string>;
/** ELF e_machine values. */
export const ELF_MACHINE = { arm64: 0xb7, x86_64: 0x3e } as const satisfies Record<LambdaArchitecture, number>;
const NATIVE_FILES = ['libonnxruntime.so.1', 'onnxruntime_binding.node'] as const;

/** A Node.js layer's modules live under nodejs/node_modules (Lambda: /opt/nodejs/node_modules). */
export const LAYER_MODULES = 'nodejs/node_modules';
const ORT = `${LAYER_MODULES}/onnxruntime-node`;
const COMMON = `${LAYER_MODULES}/onnxruntime-common`;

function binDir(architecture: LambdaArchitecture): string {
  return `bin/napi-v6/linux/${NODE_ARCH[architecture]}`;
}

/** The only native entries the layer for this architecture may hold (the function's zip may hold none). */
export function allowedNativeEntries(architecture: LambdaArchitecture): string[] {
  return NATIVE_FILES.map((name) => `${ORT}/${binDir(architecture)}/${name}`);
}

/** Layer entry name → bytes for onnxruntime-node and onnxruntime-common on one architecture. */
export async function onnxRuntimeFiles(architecture: LambdaArchitecture): Promise<Map<string, Uint8Array>> {
  const require = createRequire(import.meta.url);
  const ortDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  // Resolved from onnxruntime-node, so it is the copy that package would load.
  // (Its exports map hides package.json, so climb from dist/cjs/index.js.)
  const commonDir = path.resolve(createRequire(path.join(ortDir, 'package.json')).resolve('onnxruntime-common'), '..', '..', '..');
  const files = new Map<string, Uint8Array>();
  const add = async (dir: string, prefix: string, relative: string): Promise<void> => {
    files.set(`${prefix}/${relative}`, new Uint8Array(await readFile(path.join(dir, relative))));
  };
  await add(ortDir, ORT, 'package.json');
  for (const name of await listFiles(path.join(ortDir, 'dist'))) if (name.endsWith('.js')) await add(ortDir, ORT, `dist/${name}`);
  for (const name of NATIVE_FILES) await add(ortDir, ORT, `${binDir(architecture)}/${name}`);
  // Its exports map sends require() to dist/cjs (whose package.json says commonjs).
  await add(commonDir, COMMON, 'package.json');
  for (const name of await listFiles(path.join(commonDir, 'dist', 'cjs'))) if (name.endsWith('.js') || name === 'package.json') await add(commonDir, COMMON, `dist/cjs/${name}`);
  return files;
}

/**
 * Why the layer's native code is wrong for this architecture: any native entry
 * other than the two ONNX Runtime files, or one whose ELF machine is another CPU's.
 */
export function nativeViolations(entries: Readonly<Record<string, Uint8Array>>, native: readonly string[], architecture: LambdaArchitecture): string[] {
  const allowed = allowedNativeEntries(architecture);
  const problems: string[] = [];
  for (const name of native) {
    if (!allowed.includes(name)) {
      problems.push(`${name} is native code outside onnxruntime-node's ${architecture} binding`);
      continue;
    }
    const machine = elfMachine(entries[name]!);
    if (machine !== ELF_MACHINE[architecture]) problems.push(`${name} is ${machine === undefined ? 'not an ELF file' : `for ELF machine 0x${machine.toString(16)}`}, not ${architecture} (0x${ELF_MACHINE[architecture].toString(16)})`);
  }
  for (const name of allowed) if (!native.includes(name)) problems.push(`${name} is missing`);
  return problems;
}

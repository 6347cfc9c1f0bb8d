/**
 * The ONNX Runtime Lambda layers: dist/onnxruntime-layer-<architecture>.zip with
 * nodejs/node_modules/onnxruntime-node (the linux binding of that CPU only) and the
 * CommonJS half of onnxruntime-common (scripts/onnxruntime-files.ts picks the files).
 * Lambda extracts a layer to /opt; the function finds /opt/nodejs/node_modules/onnxruntime-node
 * (src/core/engines/onnx.ts), so its own zip carries no native code. The native library is
 * most of the bytes a cold start downloads either way; in a layer it is uploaded once per
 * version instead of with every code change, and the function zip stays small.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { sha256Hex } from '../src/core/model-files.js';
import type { LayerResult } from './ffmpeg-layer.js';
import { nativeEntries, zipFiles } from './lambda-zip.js';
import { nativeViolations, onnxRuntimeFiles, type LambdaArchitecture } from './onnxruntime-files.js';

/** What a layer zip is, as the ffmpeg layer's result says (without the ffmpeg build's source). */
export type OnnxRuntimeLayerResult = Omit<LayerResult, 'source'>;

export function onnxRuntimeLayerZipName(architecture: LambdaArchitecture): string {
  return `onnxruntime-layer-${architecture}.zip`;
}

/** Writes dist/onnxruntime-layer-<architecture>.zip (or the same name under outDir) for each architecture. */
export async function packageOnnxRuntimeLayers(outDir: string, architectures: readonly LambdaArchitecture[]): Promise<OnnxRuntimeLayerResult[]> {
  const results: OnnxRuntimeLayerResult[] = [];
  for (const architecture of architectures) results.push(await packageOnnxRuntimeLayer(path.join(outDir, onnxRuntimeLayerZipName(architecture)), architecture));
  return results;
}

export async function packageOnnxRuntimeLayer(out: string, architecture: LambdaArchitecture): Promise<OnnxRuntimeLayerResult> {
  // The binding is loaded with dlopen, which needs read permission only: 0644 like every other file.
  const { zip, unzippedBytes, names } = zipFiles(await onnxRuntimeFiles(architecture));
  // Checked on what the zip holds, not on what went in.
  const entries = unzipSync(zip);
  const problems = nativeViolations(entries, nativeEntries(entries), architecture);
  if (problems.length > 0) throw new Error(`the ${architecture} ONNX Runtime layer's native code is wrong: ${problems.join('; ')}`);
  // A layer's zip has the same 50 MB direct-upload limit as a function's.
  if (zip.byteLength > 50 * 1024 * 1024) throw new Error(`the ${architecture} ONNX Runtime layer zip is ${zip.byteLength} bytes, over Lambda's 50 MB upload limit`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, zip);
  return { architecture, out, zippedBytes: zip.byteLength, unzippedBytes, sha256: sha256Hex(zip), files: names };
}

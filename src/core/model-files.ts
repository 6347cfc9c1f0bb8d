import { createHash } from 'node:crypto';
import type { io } from '@tensorflow/tfjs-core';
import { ModelError, errorMessage } from './errors.js';
import {
  MANIFEST_FILE,
  TEACHABLE_METADATA_FILE,
  isRecord,
  manifestFromTeachableMachine,
  parseManifest,
  type ModelManifest,
} from './model-manifest.js';

/** Where a model's files come from: a directory, the Lambda package, a /tmp cache. */
export interface ModelFiles {
  /** Shown in error messages, e.g. the directory path or s3:// URI. */
  readonly where: string;
  /** The file's bytes, or undefined when it does not exist. */
  read(name: string): Promise<Uint8Array | undefined>;
}

export interface ModelBundle {
  /** Where its files came from (a directory, an s3:// URI), for messages. */
  readonly where?: string | undefined;
  readonly manifest: ModelManifest;
  /** The TF.js model; absent for an onnx-model. */
  readonly artifacts?: io.ModelArtifacts | undefined;
  /** The ONNX form, sha256-checked: the model itself, or the conversion written beside a TF.js model. */
  readonly onnx?: { readonly bytes: Uint8Array; readonly layout: 'NHWC' | 'NCHW' } | undefined;
}

export const MODEL_JSON = 'model.json';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** model.json's weightsManifest, checked: the weight files in order, their tensors, and the bytes those need. */
export interface WeightsPlan {
  readonly names: string[];
  readonly specs: io.WeightsManifestEntry[];
  /** Bytes the tensors take; undefined when one is a string tensor (variable length). */
  readonly bytes: number | undefined;
}

const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/**
 * Checks weightsManifest is a list of {paths: string[], weights: [{name, shape, dtype}]}
 * (TF.js and Teachable Machine write it so) and totals the bytes its tensors need.
 * Throws ModelError naming the model and the field.
 */
export function weightsPlan(modelJson: Record<string, unknown>, where: string): WeightsPlan {
  const problem = (what: string): never => {
    throw new ModelError(`model ${where}/${MODEL_JSON} is malformed: ${what}`);
  };
  const groups = modelJson.weightsManifest;
  if (groups === undefined) return problem('it has no weightsManifest (the list of weight files)');
  if (!Array.isArray(groups)) return problem('weightsManifest must be a list of {"paths": [...], "weights": [...]}');
  const names: string[] = [];
  const specs: io.WeightsManifestEntry[] = [];
  let bytes: number | undefined = 0;
  groups.forEach((group: unknown, g) => {
    const field = `weightsManifest[${g}]`;
    if (!isRecord(group)) return problem(`${field} is not an object`);
    if (!Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string' && p !== '')) return problem(`${field}.paths must be a list of file names`);
    if (!Array.isArray(group.weights)) return problem(`${field}.weights must be a list`);
    names.push(...(group.paths as string[]).map((p) => p.replace(/^\.\//, '')));
    group.weights.forEach((weight: unknown, w) => {
      const at = `${field}.weights[${w}]`;
      if (!isRecord(weight) || typeof weight.name !== 'string') return problem(`${at} has no name`);
      if (!Array.isArray(weight.shape) || !weight.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) return problem(`${at}.shape must be a list of non-negative integers`);
      if (typeof weight.dtype !== 'string' || !(weight.dtype in DTYPE_BYTES || weight.dtype === 'string')) return problem(`${at}.dtype "${String(weight.dtype)}" is not a TF.js dtype`);
      const quantization = weight.quantization;
      const stored = isRecord(quantization) ? quantization.dtype : weight.dtype;
      if (typeof stored !== 'string' || !(stored in DTYPE_BYTES || stored === 'string')) return problem(`${at}.quantization.dtype "${String(stored)}" is not one TF.js reads`);
      const elements = (weight.shape as number[]).reduce((product, d) => product * d, 1);
      bytes = stored === 'string' || bytes === undefined ? undefined : bytes + elements * DTYPE_BYTES[stored]!;
      specs.push(weight as unknown as io.WeightsManifestEntry);
    });
  });
  return { names, specs, bytes };
}

/** The weight file names model.json refers to, in order. */
export function weightFileNames(modelJson: Record<string, unknown>, where: string): string[] {
  return weightsPlan(modelJson, where).names;
}

/**
 * Reads model.json, its weights and its manifest (framescore-model.json, or a
 * Teachable Machine metadata.json), checking every sha256 the manifest lists.
 */
export async function readModelBundle(files: ModelFiles): Promise<ModelBundle> {
  const manifestBytes = await files.read(MANIFEST_FILE);
  const declared = manifestBytes === undefined ? undefined : parseManifest(parseModelJson(manifestBytes, `${files.where}/${MANIFEST_FILE}`), `${files.where}/${MANIFEST_FILE}`);
  if (declared?.format === 'onnx-model') return { where: files.where, ...(await readOnnxBundle(files, declared)) };
  const modelJsonBytes = await files.read(MODEL_JSON);
  // A TF.js model's ONNX form alone (the Lambda package ships no TF.js): the manifest's identity, the ONNX file sha256-checked.
  if (modelJsonBytes === undefined && declared?.onnx !== undefined) return { where: files.where, manifest: declared, onnx: await readOnnxFile(files, declared.onnx) };
  const bundle = { where: files.where, ...(await readTfjsBundle(files, declared, modelJsonBytes)) };
  return bundle.manifest.onnx === undefined ? bundle : { ...bundle, onnx: await readOnnxFile(files, bundle.manifest.onnx) };
}

/** An ONNX model directory: model.onnx (or whatever the manifest names) is the whole model, and its sha256 the identity. */
async function readOnnxBundle(files: ModelFiles, manifest: ModelManifest): Promise<ModelBundle> {
  const entry = manifest.onnx!;
  const onnx = await readOnnxFile(files, entry);
  if (manifest.sha256 !== entry.sha256) throw new ModelError(`model ${files.where}: an onnx-model's sha256 must be its ${entry.file}'s (manifest ${manifest.sha256.slice(0, 12)}…, onnx.sha256 ${entry.sha256.slice(0, 12)}…)`);
  return { manifest, onnx };
}

async function readOnnxFile(files: ModelFiles, entry: NonNullable<ModelManifest['onnx']>): Promise<NonNullable<ModelBundle['onnx']>> {
  const bytes = await files.read(entry.file);
  if (bytes === undefined) throw new ModelError(`model ${files.where} is missing ${entry.file}`);
  const digest = sha256Hex(bytes);
  if (digest !== entry.sha256) throw new ModelError(`model ${files.where}: ${entry.file} fails its sha256 check (manifest ${entry.sha256.slice(0, 12)}…, file ${digest.slice(0, 12)}…)`);
  return { bytes, layout: entry.layout };
}

async function readTfjsBundle(files: ModelFiles, declared: ModelManifest | undefined, modelJsonBytes: Uint8Array | undefined): Promise<ModelBundle & { artifacts: io.ModelArtifacts }> {
  if (modelJsonBytes === undefined) throw new ModelError(`model ${files.where} has no ${MODEL_JSON}`);
  const modelJson = parseModelJson(modelJsonBytes, `${files.where}/${MODEL_JSON}`);
  if (!isRecord(modelJson) || !isRecord(modelJson.modelTopology)) {
    throw new ModelError(`model ${files.where}/${MODEL_JSON} is not a TF.js model (no modelTopology)`);
  }
  const format = modelFormat(modelJson);
  const plan = weightsPlan(modelJson, files.where);
  const names = plan.names;
  const weights: Uint8Array[] = [];
  for (const name of names) {
    const bytes = await files.read(name);
    if (bytes === undefined) throw new ModelError(`model ${files.where} is missing weights file ${name}`);
    weights.push(bytes);
  }
  const weightData = concat(weights);
  const actual = { files: Object.fromEntries([[MODEL_JSON, sha256Hex(modelJsonBytes)], ...names.map((name, i) => [name, sha256Hex(weights[i]!)])]) as Record<string, string>, sha256: sha256Hex(weightData) };

  let manifest: ModelManifest;
  if (declared !== undefined) {
    manifest = declared;
    verifyDigests(manifest, actual, files.where);
  } else {
    const metadataBytes = await files.read(TEACHABLE_METADATA_FILE);
    if (metadataBytes === undefined) {
      throw new ModelError(`model ${files.where} has neither ${MANIFEST_FILE} nor a Teachable Machine ${TEACHABLE_METADATA_FILE}, so its labels are unknown`);
    }
    const partial = manifestFromTeachableMachine(parseModelJson(metadataBytes, `${files.where}/${TEACHABLE_METADATA_FILE}`), format, `${files.where}/${TEACHABLE_METADATA_FILE}`);
    manifest = { ...partial, ...actual };
  }
  // After the digests (a tampered file is named as such); short weights would reach TF.js as "Invalid typed array length".
  if (plan.bytes !== undefined && weightData.byteLength < plan.bytes) {
    throw new ModelError(`model ${files.where}: its weight files hold ${weightData.byteLength} bytes but ${MODEL_JSON}'s weightsManifest declares ${plan.bytes}`);
  }

  const weightSpecs = plan.specs;
  const artifacts: io.ModelArtifacts = {
    modelTopology: modelJson.modelTopology as io.ModelArtifacts['modelTopology'],
    weightSpecs,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer,
    format,
    ...(typeof modelJson.generatedBy === 'string' ? { generatedBy: modelJson.generatedBy } : {}),
    ...(typeof modelJson.convertedBy === 'string' ? { convertedBy: modelJson.convertedBy } : {}),
    ...(modelJson.signature !== undefined ? { signature: modelJson.signature as object } : {}),
    ...(modelJson.modelInitializer !== undefined ? { modelInitializer: modelJson.modelInitializer as object } : {}),
  };
  return { manifest, artifacts };
}

/** Computes the digests a manifest must carry for the given model files. */
export async function digestModel(files: ModelFiles): Promise<{ files: Record<string, string>; sha256: string; format: ModelManifest['format'] }> {
  const modelJsonBytes = await files.read(MODEL_JSON);
  if (modelJsonBytes === undefined) throw new ModelError(`model ${files.where} has no ${MODEL_JSON}`);
  const modelJson = parseModelJson(modelJsonBytes, `${files.where}/${MODEL_JSON}`);
  if (!isRecord(modelJson)) throw new ModelError(`model ${files.where}/${MODEL_JSON} is not a JSON object`);
  const digests: Record<string, string> = { [MODEL_JSON]: sha256Hex(modelJsonBytes) };
  const weights: Uint8Array[] = [];
  for (const name of weightFileNames(modelJson, files.where)) {
    const bytes = await files.read(name);
    if (bytes === undefined) throw new ModelError(`model ${files.where} is missing weights file ${name}`);
    digests[name] = sha256Hex(bytes);
    weights.push(bytes);
  }
  return { files: digests, sha256: sha256Hex(concat(weights)), format: modelFormat(modelJson) };
}

function verifyDigests(manifest: ModelManifest, actual: { files: Record<string, string>; sha256: string }, where: string): void {
  for (const [name, expected] of Object.entries(manifest.files)) {
    const got = actual.files[name];
    if (got === undefined) continue; // extra files (metadata, readme) are not part of the graph
    if (got !== expected) throw new ModelError(`model ${where}: ${name} fails its sha256 check (manifest ${expected.slice(0, 12)}…, file ${got.slice(0, 12)}…)`);
  }
  if (manifest.sha256 !== actual.sha256) {
    throw new ModelError(`model ${where}: weights fail their sha256 check (manifest ${manifest.sha256.slice(0, 12)}…, files ${actual.sha256.slice(0, 12)}…)`);
  }
}

function modelFormat(modelJson: Record<string, unknown>): ModelManifest['format'] {
  if (modelJson.format === 'graph-model' || modelJson.format === 'layers-model') return modelJson.format;
  const topology = modelJson.modelTopology;
  return isRecord(topology) && Array.isArray(topology.node) ? 'graph-model' : 'layers-model';
}

/** Parses a model's JSON file; a syntax error is a ModelError naming the file. */
export function parseModelJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelError(`${where} is not valid JSON: ${errorMessage(error)}`, { cause: error });
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

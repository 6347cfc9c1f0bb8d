import { ModelError } from './errors.js';

/** The file framescore writes beside a TF.js model.json. */
export const MANIFEST_FILE = 'framescore-model.json';
/** Teachable Machine's image-model export names its labels here. */
export const TEACHABLE_METADATA_FILE = 'metadata.json';
export const MANIFEST_SCHEMA = 'framescore-model/1';

export interface ModelManifest {
  readonly schema: typeof MANIFEST_SCHEMA;
  readonly name: string;
  readonly version: string;
  /** A TF.js layers or graph model (model.json + weights), or an ONNX model alone (`onnx` names the file). */
  readonly format: 'layers-model' | 'graph-model' | 'onnx-model';
  readonly labels: readonly string[];
  readonly input: { readonly width: number; readonly height: number };
  /** Pixel value v (0–255) becomes v / divisor + offset. */
  readonly normalization: { readonly divisor: number; readonly offset: number };
  /** sha256 (hex) of every file of the model, model.json included, by file name. */
  readonly files: Readonly<Record<string, string>>;
  /** The model's identity: sha256 (hex) of the weight bytes in weightsManifest order; for an onnx-model, of the .onnx file. */
  readonly sha256: string;
  /** The ONNX form: the model itself for an onnx-model; beside a TF.js model, its conversion (not part of the identity). */
  readonly onnx?: OnnxModelEntry;
}

export interface OnnxModelEntry {
  /** File name in the model directory. */
  readonly file: string;
  readonly sha256: string;
  /** The input tensor: [N, H, W, 3] (as TF.js takes it) or [N, 3, H, W] (PyTorch exports). */
  readonly layout: 'NHWC' | 'NCHW';
}

/** Every file a copy of the model needs, with its sha256: the TF.js files and the ONNX form. */
export function manifestFiles(manifest: ModelManifest): Array<[name: string, sha256: string]> {
  const files = Object.entries(manifest.files);
  if (manifest.onnx !== undefined && !Object.hasOwn(manifest.files, manifest.onnx.file)) files.push([manifest.onnx.file, manifest.onnx.sha256]);
  return files;
}

/** What the CLI and Lambda report about the model that produced the scores. */
export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly labels: readonly string[];
  /** Input size, so a caller can sample frames at the size the model wants. */
  readonly input: { readonly width: number; readonly height: number };
}

export function modelIdentity(manifest: ModelManifest): ModelIdentity {
  return { name: manifest.name, version: manifest.version, sha256: manifest.sha256, labels: manifest.labels, input: manifest.input };
}

export function parseManifest(json: unknown, where: string): ModelManifest {
  const problem = (what: string): never => {
    throw new ModelError(`model manifest ${where} is malformed: ${what}`);
  };
  if (!isRecord(json)) return problem('not a JSON object');
  if (json.schema !== MANIFEST_SCHEMA) problem(`schema is not "${MANIFEST_SCHEMA}"`);
  if (typeof json.name !== 'string' || json.name === '') problem('name is missing');
  if (typeof json.version !== 'string') problem('version is missing');
  if (json.format !== 'layers-model' && json.format !== 'graph-model' && json.format !== 'onnx-model') problem('format must be layers-model, graph-model or onnx-model');
  const labels = labelsProblem(json.labels);
  if (labels !== undefined) problem(labels);
  const input = json.input;
  if (!isRecord(input) || !isPositiveInteger(input.width) || !isPositiveInteger(input.height)) problem('input.width and input.height must be positive integers');
  const normalization = json.normalization;
  if (!isRecord(normalization) || typeof normalization.divisor !== 'number' || normalization.divisor === 0 || typeof normalization.offset !== 'number') {
    problem('normalization must have a non-zero divisor and an offset');
  }
  if (!isRecord(json.files) || !Object.values(json.files).every(isSha256)) problem('files must map file names to sha256 hex digests');
  if (!isSha256(json.sha256)) problem('sha256 is not a hex digest');
  const onnx = json.onnx;
  if (onnx !== undefined) {
    if (!isRecord(onnx)) return problem('onnx must be an object');
    if (typeof onnx.file !== 'string' || !/^[\w-][\w.-]*$/.test(onnx.file)) problem('onnx.file must be a plain file name');
    if (!isSha256(onnx.sha256)) problem('onnx.sha256 is not a hex digest');
    if (onnx.layout !== 'NHWC' && onnx.layout !== 'NCHW') problem('onnx.layout must be "NHWC" or "NCHW"');
  } else if (json.format === 'onnx-model') {
    problem('an onnx-model needs "onnx": {"file", "sha256", "layout"}');
  }
  return json as unknown as ModelManifest;
}

/** A manifest for a Teachable Machine export, whose metadata.json carries the labels. */
export function manifestFromTeachableMachine(metadata: unknown, format: ModelManifest['format'], where: string): Omit<ModelManifest, 'files' | 'sha256'> {
  if (!isRecord(metadata) || !Array.isArray(metadata.labels)) throw new ModelError(`${where} has no "labels" list`);
  const labels = labelsProblem(metadata.labels);
  if (labels !== undefined) throw new ModelError(`${where} is malformed: ${labels}`);
  const size = isPositiveInteger(metadata.imageSize) ? metadata.imageSize : 224;
  return {
    schema: MANIFEST_SCHEMA,
    name: typeof metadata.modelName === 'string' ? metadata.modelName : 'teachable-machine-model',
    version: typeof metadata.timeStamp === 'string' ? metadata.timeStamp : String(metadata.packageVersion ?? '0'),
    format,
    labels: metadata.labels as string[],
    input: { width: size, height: size },
    // @teachablemachine/image normalises with x / 127 - 1.
    normalization: { divisor: 127, offset: -1 },
  };
}

export const MAX_LABEL_LENGTH = 200;

/** The report's own CSV columns (report-formats.ts, frames-csv.ts): a label with one of these names would make two equal columns. */
const REPORT_COLUMNS = new Set(['video', 'index', 'requested_s', 'actual_s', 'timecode', 'file', 'top_label', 'top_score', 'status', 'error']);
/** Names every object has (`__proto__`, `constructor`, `toString`…): as score keys they break or shadow. */
const OBJECT_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Labels become object keys (scores) and CSV column names: each must be a
 * non-empty string of at most 200 characters, without control characters,
 * unique, and none of the names above. Returns what is wrong, naming the entry.
 */
export function labelsProblem(labels: unknown): string | undefined {
  if (!Array.isArray(labels) || labels.length === 0) return 'labels must be a non-empty list of strings';
  const seen = new Map<string, number>();
  for (const [i, label] of labels.entries()) {
    const field = `labels[${i}]`;
    if (typeof label !== 'string') return `${field} is not a string (${label === null ? 'null' : typeof label})`;
    if (label.trim() === '') return `${field} is empty`;
    if (label.length > MAX_LABEL_LENGTH) return `${field} is ${label.length} characters long; the limit is ${MAX_LABEL_LENGTH}`;
    if (CONTROL_CHARACTERS.test(label)) return `${field} ${JSON.stringify(label)} contains a control character`;
    if (OBJECT_NAMES.has(label)) return `${field} "${label}" is a name every JavaScript object has; rename it`;
    if (REPORT_COLUMNS.has(label)) return `${field} "${label}" is one of the report's own CSV columns; rename it`;
    const earlier = seen.get(label);
    if (earlier !== undefined) return `${field} "${label}" repeats labels[${earlier}]; labels must be unique`;
    seen.set(label, i);
  }
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function isSha256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

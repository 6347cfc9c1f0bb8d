import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ModelError } from '../../core/errors.js';
import { directoryModelFiles } from '../../core/model-directory.js';
import { readModelBundle, sha256Hex } from '../../core/model-files.js';
import { MANIFEST_FILE, type ModelManifest, manifestFiles } from '../../core/model-manifest.js';
import { describeS3Error } from './errors.js';
import { s3Uri, type S3Location } from './uri.js';

export interface PushedModel {
  readonly manifest: ModelManifest;
  /** True when the directory had only a Teachable Machine metadata.json and the manifest was made here. */
  readonly generatedManifest: boolean;
  readonly files: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = { '.json': 'application/json', '.bin': 'application/octet-stream' };

/**
 * Uploads a model directory: every file its manifest lists, then the manifest.
 * The manifest is checked against the files first (or made from Teachable
 * Machine's metadata.json), and goes up last, so a reader never finds a new
 * manifest beside old weights: at worst old manifest, new weights, which fails
 * its sha256 check instead of loading the wrong model.
 */
export async function pushModel(client: S3Client, dir: string, location: S3Location, onFile?: (name: string, bytes: number) => void): Promise<PushedModel> {
  const bundle = await readModelBundle(directoryModelFiles(dir));
  const manifest = bundle.manifest;
  const existing = await readFile(path.join(dir, MANIFEST_FILE)).catch(() => undefined);
  const manifestBytes = existing ?? new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  const files: Array<{ name: string; bytes: number }> = [];
  for (const [name, expected] of manifestFiles(manifest)) {
    const bytes = await readFile(path.join(dir, name)).catch(() => undefined);
    if (bytes === undefined) throw new ModelError(`model ${dir}: ${MANIFEST_FILE} lists ${name}, which is missing`);
    // readModelBundle checks the graph's files; this also covers any extra file the manifest lists.
    if (sha256Hex(bytes) !== expected) throw new ModelError(`model ${dir}: ${name} fails its sha256 check against ${MANIFEST_FILE}`);
    await put(client, location, name, bytes);
    files.push({ name, bytes: bytes.length });
    onFile?.(name, bytes.length);
  }
  await put(client, location, MANIFEST_FILE, manifestBytes);
  files.push({ name: MANIFEST_FILE, bytes: manifestBytes.length });
  onFile?.(MANIFEST_FILE, manifestBytes.length);
  return { manifest, generatedManifest: existing === undefined, files };
}

async function put(client: S3Client, location: S3Location, name: string, body: Uint8Array): Promise<void> {
  try {
    await client.send(new PutObjectCommand({
      Bucket: location.bucket,
      Key: `${location.key}${name}`,
      Body: body,
      ContentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
    }));
  } catch (error) {
    throw new ModelError(`cannot upload ${s3Uri(location, name)}: ${describeS3Error(error)}`, { cause: error });
  }
}

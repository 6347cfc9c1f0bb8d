/**
 * Fetches a model from s3://bucket/prefix/ into a /tmp cache, once per execution
 * environment. Imported lazily, so functions using the packaged model never load
 * the S3 client.
 */
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { ModelError, errorMessage } from '../core/errors.js';
import { parseModelJson, sha256Hex } from '../core/model-files.js';
import { MANIFEST_FILE, parseManifest, manifestFiles } from '../core/model-manifest.js';
import { readUrlEnv, type Environment, type S3Location } from './env.js';

export interface CachedModel {
  /** Directory holding the verified files, named after the manifest's sha256. */
  readonly dir: string;
  /** False when /tmp already held a verified copy of this manifest. */
  readonly downloaded: boolean;
}

/** An S3 client that honours AWS_ENDPOINT_URL_S3 (path-style, for S3-compatible test servers). */
export function createS3Client(env: Environment = process.env): S3Client {
  const endpoint = readUrlEnv('AWS_ENDPOINT_URL_S3', env);
  return new S3Client(endpoint === undefined ? {} : { endpoint: endpoint.href, forcePathStyle: true });
}

export function s3Uri(location: S3Location, name = ''): string {
  return `s3://${location.bucket}/${location.prefix}${name}`;
}

/**
 * Downloads the manifest and every file it lists (the ONNX file too) into a staging directory,
 * checks each sha256, then renames the directory into place: a cache directory
 * exists only when complete and verified. A mismatch leaves nothing behind.
 */
export async function fetchS3Model(client: S3Client, location: S3Location, cacheRoot: string): Promise<CachedModel> {
  const manifestBytes = await getObject(client, location, MANIFEST_FILE);
  const dir = path.join(cacheRoot, sha256Hex(manifestBytes));
  if (await cachedCopyMatches(dir, manifestBytes)) return { dir, downloaded: false };
  const manifest = parseManifest(parseModelJson(manifestBytes, s3Uri(location, MANIFEST_FILE)), s3Uri(location, MANIFEST_FILE));
  await mkdir(cacheRoot, { recursive: true });
  const staging = await mkdtemp(path.join(cacheRoot, '.staging-'));
  try {
    // allSettled: a failure must not remove staging while other downloads still write into it.
    const settled = await Promise.allSettled(
      manifestFiles(manifest).map(async ([name, expected]) => {
        if (name.includes('/') || name.startsWith('.')) throw new ModelError(`${s3Uri(location, MANIFEST_FILE)} lists an unsafe file name "${name}"`);
        const bytes = await getObject(client, location, name);
        const actual = sha256Hex(bytes);
        if (actual !== expected) {
          throw new ModelError(`${s3Uri(location, name)} fails its sha256 check (manifest ${expected.slice(0, 12)}…, downloaded ${actual.slice(0, 12)}…)`);
        }
        await writeFile(path.join(staging, name), bytes);
      }),
    );
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await writeFile(path.join(staging, MANIFEST_FILE), manifestBytes);
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another load in this environment finished first: its copy is as good as ours.
    if (isExistsError(error) && (await cachedCopyMatches(dir, manifestBytes))) return { dir, downloaded: true };
    throw error;
  }
  return { dir, downloaded: true };
}

async function getObject(client: S3Client, location: S3Location, name: string): Promise<Uint8Array> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: `${location.prefix}${name}` }));
    if (response.Body === undefined) throw new ModelError(`${s3Uri(location, name)} has no body`);
    return await response.Body.transformToByteArray();
  } catch (error) {
    if (error instanceof ModelError) throw error;
    const what = error instanceof NoSuchKey ? 'does not exist' : `cannot be read: ${errorMessage(error)}`;
    throw new ModelError(`${s3Uri(location, name)} ${what}`, { cause: error });
  }
}

async function cachedCopyMatches(dir: string, manifestBytes: Uint8Array): Promise<boolean> {
  try {
    if (!(await stat(dir)).isDirectory()) return false;
    return sha256Hex(await readFile(path.join(dir, MANIFEST_FILE))) === sha256Hex(manifestBytes);
  } catch {
    return false;
  }
}

function isExistsError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EEXIST' || code === 'ENOTEMPTY';
}

import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ModelError } from '../../core/errors.js';
import { directoryModelFiles } from '../../core/model-directory.js';
import { parseModelJson, readModelBundle, sha256Hex } from '../../core/model-files.js';
import { MANIFEST_FILE, parseManifest, manifestFiles } from '../../core/model-manifest.js';
import type { InputContext } from '../opened-input.js';
import { createS3Client, s3Endpoint } from './client.js';
import { describeS3Error, isNotFound } from './errors.js';
import { parseS3Prefix, s3Uri, type S3Location } from './uri.js';

export interface CachedModel {
  /** $XDG_CACHE_HOME/framescore/models/<sha256 of the manifest>: complete and verified. */
  readonly dir: string;
  readonly downloaded: boolean;
}

/** Staging directories start with this; they are never a cache key (a sha256), so never mistaken for a model. */
const STAGING_PREFIX = '.partial-';
/** A staging directory this old belongs to a run that was killed. */
const STALE_MS = 60 * 60 * 1000;

export function modelCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME?.trim() || os.homedir(), '.cache');
  return path.join(base, 'framescore', 'models');
}

/** --model s3://bucket/prefix/ → a local directory holding the verified model, downloading it once. */
export async function resolveS3Model(uri: string, context: InputContext): Promise<CachedModel> {
  const location = parseS3Prefix(uri, `--model "${uri}"`);
  const client = createS3Client(context);
  try {
    return await fetchModel(client, location, modelCacheRoot(context.env), s3Endpoint(context));
  } finally {
    client.destroy();
  }
}

/**
 * The manifest is fetched every time (it is small, and it names the cache key);
 * the files only when no verified copy of that manifest is cached. Files are
 * checked against their sha256s in a staging directory that is renamed into
 * place only once the whole model verifies: a killed download leaves a
 * `.partial-*` directory that no lookup ever uses.
 */
export async function fetchModel(client: S3Client, location: S3Location, cacheRoot: string, endpoint?: string): Promise<CachedModel> {
  const manifestUri = s3Uri(location, MANIFEST_FILE);
  const manifestBytes = await getObject(client, location, MANIFEST_FILE, endpoint).catch((error: unknown) => {
    if (error instanceof ModelError && /no such key/.test(error.message)) {
      throw new ModelError(`--model "${s3Uri(location)}": no ${MANIFEST_FILE} there (upload models with "framescore model push DIR ${s3Uri(location)}")`, { cause: error });
    }
    throw error;
  });
  const dir = path.join(cacheRoot, sha256Hex(manifestBytes));
  if (await verifies(dir)) return { dir, downloaded: false };
  // A cached copy that no longer verifies (edited, disk trouble) is replaced.
  await rm(dir, { recursive: true, force: true });

  const manifest = parseManifest(parseModelJson(manifestBytes, manifestUri), manifestUri);
  await mkdir(cacheRoot, { recursive: true });
  await removeStale(cacheRoot);
  const staging = await mkdtemp(path.join(cacheRoot, STAGING_PREFIX));
  try {
    for (const [name, expected] of manifestFiles(manifest)) {
      if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new ModelError(`${manifestUri} lists an unsafe file name "${name}"`);
      const bytes = await getObject(client, location, name, endpoint);
      const actual = sha256Hex(bytes);
      if (actual !== expected) throw new ModelError(`${s3Uri(location, name)} fails its sha256 check (manifest ${expected.slice(0, 12)}…, downloaded ${actual.slice(0, 12)}…)`);
      await writeFile(path.join(staging, name), bytes);
    }
    await writeFile(path.join(staging, MANIFEST_FILE), manifestBytes);
    // The whole model must load and match the manifest's weight digest before it may take the final name.
    await readModelBundle({ ...directoryModelFiles(staging), where: s3Uri(location) });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another framescore process finished the same download first: its copy is as good.
    if (isExists(error) && (await verifies(dir))) return { dir, downloaded: true };
    throw error;
  }
  return { dir, downloaded: true };
}

async function getObject(client: S3Client, location: S3Location, name: string, endpoint: string | undefined): Promise<Uint8Array> {
  const uri = s3Uri(location, name);
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: `${location.key}${name}` }));
    if (response.Body === undefined) throw new ModelError(`${uri}: S3 returned no body`);
    return await response.Body.transformToByteArray();
  } catch (error) {
    if (error instanceof ModelError) throw error;
    const reason = isNotFound(error) && (error as { name?: string }).name !== 'NoSuchBucket' ? 'no such key' : describeS3Error(error, { endpoint });
    throw new ModelError(`--model: cannot read ${uri}: ${reason}`, { cause: error });
  }
}

async function verifies(dir: string): Promise<boolean> {
  if (!(await stat(dir).then((info) => info.isDirectory(), () => false))) return false;
  return readModelBundle(directoryModelFiles(dir)).then(() => true, () => false);
}

async function removeStale(cacheRoot: string): Promise<void> {
  for (const name of await readdir(cacheRoot).catch(() => [] as string[])) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const full = path.join(cacheRoot, name);
    const info = await stat(full).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > STALE_MS) await rm(full, { recursive: true, force: true });
  }
}

function isExists(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EEXIST' || code === 'ENOTEMPTY';
}

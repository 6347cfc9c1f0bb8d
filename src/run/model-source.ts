import path from 'node:path';
import { stat } from 'node:fs/promises';
import { ModelError } from '../core/errors.js';
import type { InputContext } from './input.js';
import { DEFAULT_MODEL_DIR } from './paths.js';

/** Resolves --model to a local directory (s3:// models are fetched into a verified cache first). */
export async function resolveModelDir(spec: string | undefined, context: InputContext): Promise<string> {
  if (spec === undefined) {
    if (!(await stat(DEFAULT_MODEL_DIR).then(() => true, () => false))) {
      throw new ModelError(`the bundled model is missing at ${DEFAULT_MODEL_DIR}: run "npm run build" first`);
    }
    return DEFAULT_MODEL_DIR;
  }
  if (/^s3:\/\//i.test(spec)) {
    // Downloaded once into the XDG cache, verified against the manifest's sha256s, reused after.
    const { resolveS3Model } = await import('./s3/model-cache.js');
    return (await resolveS3Model(spec, context)).dir;
  }
  const dir = path.resolve(spec);
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new ModelError(`--model "${spec}": no such directory`);
  if (!info.isDirectory()) throw new ModelError(`--model "${spec}": not a directory`);
  return dir;
}

/** openModel: a model directory, s3:// prefix or the bundled model, read and verified once, then passed to classify. */
import { directoryModelFiles } from '../core/model-directory.js';
import { readModelBundle } from '../core/model-files.js';
import { modelIdentity, type ModelIdentity, type ModelManifest } from '../core/model-manifest.js';
import { resolveModelDir } from '../run/model-source.js';
import type { SamplingOptions } from './options.js';

export interface Model {
  /** The local directory the model was read from (s3:// models are cached there, verified). */
  readonly dir: string;
  readonly manifest: ModelManifest;
  /** Name, version, sha256 and labels, as reports record them. */
  readonly identity: ModelIdentity;
}

/** Reads and verifies a model; throws ModelError naming what is wrong. Without `spec`, the bundled MobileNetV2. */
export async function openModel(spec?: string, options: Pick<SamplingOptions, 'aws'> = {}): Promise<Model> {
  const aws = options.aws ?? {};
  const dir = await resolveModelDir(spec, { profile: aws.profile, region: aws.region, s3Endpoint: aws.s3Endpoint, env: aws.env });
  const bundle = await readModelBundle(directoryModelFiles(dir));
  return { dir, manifest: bundle.manifest, identity: modelIdentity(bundle.manifest) };
}

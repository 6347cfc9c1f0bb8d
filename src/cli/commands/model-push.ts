import { stat } from 'node:fs/promises';
import { ModelError } from '../../core/errors.js';
import type { CommandContext, CommandStatus } from '../context.js';
import { createS3Client } from '../../run/s3/client.js';
import { pushModel } from '../../run/s3/push.js';
import { parseS3Prefix, s3Uri } from '../../run/s3/uri.js';

export interface ModelPushFlags {
  readonly profile?: string;
  readonly region?: string;
  readonly s3Endpoint?: string;
}

/**
 * framescore model push DIR s3://bucket/prefix/: uploads the model with a
 * manifest carrying every file's sha256. Prints the model's URI on stdout (for
 * --model or the Lambda's MODEL_URI); progress goes to stderr.
 */
export async function modelPushCommand(dir: string, uri: string, flags: ModelPushFlags, context: CommandContext): Promise<CommandStatus> {
  const location = parseS3Prefix(uri, `model push destination "${uri}"`);
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) throw new ModelError(`model push: "${dir}": no such directory`);
  if (!info.isDirectory()) throw new ModelError(`model push: "${dir}" is not a directory`);
  const client = createS3Client({ profile: flags.profile, region: flags.region, s3Endpoint: flags.s3Endpoint, env: context.env });
  try {
    const pushed = await pushModel(client, dir, location, (name, bytes) => context.messages.info(`uploaded ${s3Uri(location, name)} (${formatBytes(bytes)})`));
    const { name, version, sha256 } = pushed.manifest;
    context.messages.info(`pushed ${name} ${version} (weights sha256 ${sha256.slice(0, 12)}…)${pushed.generatedManifest ? '; manifest generated from metadata.json' : ''}`);
    context.stdout.write(`${s3Uri(location)}\n`);
    return 'ok';
  } finally {
    client.destroy();
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

/**
 * The packaged episode function (dist/episode-x86_64.zip as `npm run
 * package:episode` builds it) under serverless-offline, from a service
 * directory generated per suite: its own serverless.yml (function
 * framescore-dev-episode, the environment the template sets, a timeout) and a
 * link to the repository's node_modules for the plugin.
 */
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SqsBatchResponse } from '../../src/lambda/episode/batch-response.js';
import path from 'node:path';
import { episodeZipName, packageEpisode, type EpisodePackage } from '../../scripts/package-episode.js';
import { tempDir } from '../lambda/fixtures.js';
import { startServerlessOffline, type OfflineServer } from '../helpers/serverless-offline.js';
import { sqsEvent, sqsRecord } from './events.js';
import { repoRoot } from './template.js';

export const EPISODE_FUNCTION = 'framescore-dev-episode';

let packaged: Promise<EpisodePackage> | undefined;

/** Packages once per test file, into a temp dir. */
export function episodePackage(): Promise<EpisodePackage> {
  packaged ??= tempDir('episode-package').then((dir) => packageEpisode(path.join(dir, episodeZipName('x86_64')), 'x86_64'));
  return packaged;
}

export interface EpisodeOfflineOptions {
  readonly lambdaPort: number;
  readonly httpPort: number;
  /** The function's environment (the template's variables plus endpoints and credentials for the local servers). */
  readonly environment: Readonly<Record<string, string>>;
  /** The function's timeout in seconds (the template's EpisodeTimeout). */
  readonly timeoutSeconds: number;
}

export async function startEpisodeOffline(options: EpisodeOfflineOptions): Promise<OfflineServer> {
  const pkg = await episodePackage();
  const service = await tempDir('episode-service');
  await symlink(path.join(repoRoot, 'node_modules'), path.join(service, 'node_modules'), 'dir');
  await mkdir(path.join(service, 'offline'), { recursive: true });
  // JSON is YAML: no quoting rules to get wrong for the values.
  const config = {
    service: 'framescore',
    frameworkVersion: '3',
    provider: {
      name: 'aws', runtime: 'nodejs22.x', architecture: 'x86_64', region: 'us-east-1', stage: 'dev', memorySize: 1769,
      timeout: options.timeoutSeconds, environment: { AWS_REGION: 'us-east-1', ...options.environment },
    },
    package: { artifact: pkg.out },
    // An HTTP route only because the emulator (and its start-up check) wants its HTTP port up; nothing calls it.
    functions: { episode: { handler: 'index.handler', events: [{ httpApi: { method: 'GET', path: '/unused' } }] } },
    plugins: ['serverless-offline'],
    custom: { 'serverless-offline': { host: '127.0.0.1', lambdaPort: options.lambdaPort, httpPort: options.httpPort, location: path.join(service, 'offline') } },
  };
  await writeFile(path.join(service, 'serverless.yml'), JSON.stringify(config, null, 2));
  return startServerlessOffline({ servicePath: service, lambdaPort: options.lambdaPort, httpPort: options.httpPort, startTimeoutMs: 60_000 });
}

/** One delivery of one message to the episode function, as the SQS event source mapping makes it. */
export async function deliver(lambda: LambdaClient, episode: OfflineServer, body: unknown, receiveCount = 1, messageId?: string): Promise<{ response: SqsBatchResponse; messageId: string }> {
  const record = sqsRecord(typeof body === 'string' ? body : JSON.stringify(body), receiveCount, messageId);
  const answer = await lambda.send(new InvokeCommand({ FunctionName: EPISODE_FUNCTION, Payload: JSON.stringify(sqsEvent(record)) }));
  const text = new TextDecoder().decode(answer.Payload);
  assert.equal(answer.FunctionError, undefined, `the episode function failed (killed at its timeout?): ${text}\n${episode.output().slice(-3000)}`);
  return { response: JSON.parse(text) as SqsBatchResponse, messageId: record.messageId };
}

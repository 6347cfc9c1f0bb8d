/**
 * An S3-compatible server on 127.0.0.1 for integration tests and benchmarks
 * (s3rver, in-process, files in a temp directory). It does not check SigV4
 * signatures, so any credentials work; S3RVER/S3RVER by convention.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3RVER_REGION = 'us-east-1';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: Array<{ name: string }>;
}) => S3rverInstance;

export interface S3rverHandle {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly port: number;
  /** A path-style client with the dummy credentials; destroyed by stop(). */
  readonly client: S3Client;
  /** Environment for a child process (the Lambda handler, the CLI) to reach this server. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export interface S3rverOptions {
  /** Buckets that exist when the server starts. */
  readonly buckets?: readonly string[];
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export async function startS3rver(options: S3rverOptions = {}): Promise<S3rverHandle> {
  // s3rver ships no types; the constructor is described above.
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const directory = await mkdtemp(path.join(os.tmpdir(), 'framescore-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({ endpoint, region: S3RVER_REGION, forcePathStyle: true, credentials: S3RVER_CREDENTIALS,
    // s3rver stores an aws-chunked (checksummed) upload body as-is: send plain bodies.
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  let stopped = false;
  return {
    endpoint,
    port: address.port,
    client,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: S3RVER_REGION,
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

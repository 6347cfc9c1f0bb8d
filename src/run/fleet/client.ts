/**
 * One LambdaClient per run, sized for the fan-out: the SDK's default agent
 * allows 50 sockets, so 150 concurrent invokes would otherwise run in waves.
 * Retries are ours (with the adaptive limiter), so the SDK's are off.
 */
import http from 'node:http';
import https from 'node:https';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LambdaConfigError } from './errors.js';

export interface LambdaTarget {
  /** As given: a name, partial or full ARN. */
  readonly functionName: string;
  readonly qualifier?: string | undefined;
}

export interface ClientOptions {
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  /** --endpoint-url, else AWS_ENDPOINT_URL_LAMBDA (read from env here so tests can inject it). */
  readonly endpointUrl?: string | undefined;
  /** Sockets to allow: at least the invocations in flight. */
  readonly maxSockets: number;
  /** Client timeout for one invocation (socket idle and overall). */
  readonly timeoutMs: number;
  readonly env: NodeJS.ProcessEnv;
  /** Explicit credentials (tests); otherwise the default chain, with --profile. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | undefined;
}

export interface LambdaConnection {
  readonly client: LambdaClient;
  readonly endpoint?: string | undefined;
  close(): void;
}

export function createLambdaClient(target: LambdaTarget, options: ClientOptions): LambdaConnection {
  const endpoint = options.endpointUrl ?? options.env.AWS_ENDPOINT_URL_LAMBDA ?? options.env.AWS_ENDPOINT_URL;
  if (endpoint !== undefined) {
    try {
      new URL(endpoint);
    } catch (error) {
      throw new LambdaConfigError(`--endpoint-url "${endpoint}" is not a URL`, { cause: error });
    }
  }
  const region = options.region ?? regionFromArn(target.functionName) ?? options.env.AWS_REGION ?? options.env.AWS_DEFAULT_REGION ?? (endpoint !== undefined ? 'us-east-1' : undefined);
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const client = new LambdaClient({
    ...(region === undefined ? {} : { region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent, httpsAgent, connectionTimeout: Math.min(options.timeoutMs, 10_000), requestTimeout: options.timeoutMs }),
  });
  return {
    client,
    endpoint,
    close: () => {
      client.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] carries its region. */
export function regionFromArn(functionName: string): string | undefined {
  const match = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:/.exec(functionName);
  return match?.[1];
}

/** "name:qualifier" for messages and reports. */
export function describeTarget(target: LambdaTarget): string {
  return target.qualifier === undefined ? target.functionName : `${target.functionName} (${target.qualifier})`;
}

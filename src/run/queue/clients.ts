/** SQS and CloudFormation clients for `framescore submit` and `status` (S3's is run/s3/client.ts). */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import { InputError } from '../../core/errors.js';
import { flowFromStack, type FlowLocations } from './stack.js';

export interface QueueFlags {
  readonly queueUrl?: string | undefined;
  readonly functionStack?: string | undefined;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  /** CloudFormation endpoint (else AWS_ENDPOINT_URL_CLOUDFORMATION), e.g. an emulator. */
  readonly cloudformationEndpoint?: string | undefined;
}

/** The region in an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), if it has one. */
export function regionFromQueueUrl(url: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url)?.[1];
}

function region(flags: QueueFlags, env: NodeJS.ProcessEnv, queueUrl?: string): string {
  return flags.region ?? (queueUrl === undefined ? undefined : regionFromQueueUrl(queueUrl)) ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1');
}

/** --queue-url, or the stack's outputs with --function-stack. */
export async function flowLocations(flags: QueueFlags, env: NodeJS.ProcessEnv): Promise<FlowLocations> {
  if (flags.queueUrl !== undefined && flags.functionStack !== undefined) throw new InputError('give --queue-url or --function-stack, not both');
  if (flags.queueUrl !== undefined) {
    if (!URL.canParse(flags.queueUrl)) throw new InputError(`--queue-url "${flags.queueUrl}" is not a URL`);
    return { queueUrl: flags.queueUrl };
  }
  if (flags.functionStack === undefined) throw new InputError('name the episode queue: --function-stack STACK (the deployed infra/template.yaml) or --queue-url URL');
  const client = new CloudFormationClient({
    region: region(flags, env), ...(flags.profile === undefined ? {} : { profile: flags.profile }),
    ...(flags.cloudformationEndpoint === undefined ? {} : { endpoint: flags.cloudformationEndpoint }),
  });
  try {
    return await flowFromStack(flags.functionStack, client);
  } finally {
    client.destroy();
  }
}

export function createSqsClient(flags: QueueFlags, env: NodeJS.ProcessEnv, queueUrl: string): SQSClient {
  return new SQSClient({ region: region(flags, env, queueUrl), ...(flags.profile === undefined ? {} : { profile: flags.profile }) });
}

/** An AWS failure as one line naming what was being done. */
export function awsFailure(doing: string, error: unknown): InputError {
  const name = (error as { name?: unknown } | undefined)?.name;
  const message = error instanceof Error ? error.message : String(error);
  return new InputError(`cannot ${doing}: ${typeof name === 'string' && name !== 'Error' ? `${name}: ` : ''}${message}`, { cause: error });
}

/** The unattended flow's queue and report location, from a deployed stack's outputs (infra/template.yaml). */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { errorMessage, InputError } from '../../core/errors.js';

export interface FlowLocations {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl?: string | undefined;
  /** s3://bucket/prefix/ of the reports. */
  readonly reportLocation?: string | undefined;
}

export async function flowFromStack(stackName: string, client: CloudFormationClient): Promise<FlowLocations> {
  let outputs: Array<{ OutputKey?: string; OutputValue?: string }>;
  try {
    const described = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = described.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw new InputError(`cannot read stack "${stackName}": ${errorMessage(error)}`, { cause: error });
  }
  const output = (key: string): string | undefined => outputs.find((candidate) => candidate.OutputKey === key)?.OutputValue;
  const queueUrl = output('EpisodeQueueUrl');
  if (queueUrl === undefined) throw new InputError(`stack "${stackName}" has no EpisodeQueueUrl output: deploy it with InputPrefix set (docs/unattended.md)`);
  return { queueUrl, deadLetterQueueUrl: output('EpisodeDeadLetterQueueUrl'), reportLocation: output('ReportLocation') };
}

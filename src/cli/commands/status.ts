/**
 * framescore status: the unattended flow at a glance: episodes queued and in
 * flight, the dead-letter queue (count and the first inputs in it), and the
 * most recent reports. Exit 3 when the dead-letter queue holds episodes, so a
 * cron job or a CI check can alert on it.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { peekDeadLetters, queueDepth, type DeadLetter, type QueueDepth } from '../../run/queue/episode-queue.js';
import { createS3Client } from '../../run/s3/client.js';
import { parseS3Prefix } from '../../run/s3/uri.js';
import type { CommandContext, CommandStatus } from '../context.js';
import { parseInteger } from '../option-values.js';
import { awsFailure, createSqsClient, flowLocations, type QueueFlags } from '../../run/queue/clients.js';

export interface StatusFlags extends QueueFlags {
  readonly deadLetterQueueUrl?: string | undefined;
  /** s3://bucket/prefix/ of the reports (the stack's ReportLocation). */
  readonly reports?: string | undefined;
  readonly recent: string;
  readonly s3Endpoint?: string | undefined;
  readonly json?: boolean | undefined;
}

export interface FlowStatus {
  readonly queue: QueueDepth & { readonly url: string };
  readonly deadLetter: { readonly url: string; readonly count: number; readonly first: readonly DeadLetter[] } | null;
  readonly recentReports: ReadonlyArray<{ readonly uri: string; readonly lastModified: string | null }> | null;
}

export async function statusCommand(flags: StatusFlags, context: CommandContext): Promise<CommandStatus> {
  const recent = parseInteger(flags.recent, '--recent', 0, 1000);
  const located = await flowLocations(flags, context.env);
  const deadLetterUrl = flags.deadLetterQueueUrl ?? located.deadLetterQueueUrl;
  const reports = flags.reports ?? located.reportLocation;
  const sqs = createSqsClient(flags, context.env, located.queueUrl);
  let status: FlowStatus;
  try {
    const queue = { url: located.queueUrl, ...(await queueDepth(sqs, located.queueUrl).catch((error: unknown) => { throw awsFailure(`read the episode queue ${located.queueUrl}`, error); })) };
    let deadLetter: FlowStatus['deadLetter'] = null;
    if (deadLetterUrl !== undefined) {
      const depth = await queueDepth(sqs, deadLetterUrl).catch((error: unknown) => { throw awsFailure(`read the dead-letter queue ${deadLetterUrl}`, error); });
      const count = depth.queued + depth.inFlight;
      deadLetter = { url: deadLetterUrl, count, first: count === 0 ? [] : await peekDeadLetters(sqs, deadLetterUrl) };
    }
    status = { queue, deadLetter, recentReports: reports === undefined || recent === 0 ? null : await recentReports(reports, recent, flags, context.env) };
  } finally {
    sqs.destroy();
  }
  context.stdout.write(flags.json === true ? `${JSON.stringify(status, null, 2)}\n` : describe(status));
  return (status.deadLetter?.count ?? 0) > 0 ? 'failures' : 'ok';
}

/** The newest JSON reports under the report prefix (one listing of the prefix, newest first). */
async function recentReports(uri: string, count: number, flags: StatusFlags, env: NodeJS.ProcessEnv): Promise<NonNullable<FlowStatus['recentReports']>> {
  const { bucket, key: prefix } = parseS3Prefix(uri, `--reports "${uri}"`);
  const s3 = createS3Client({ profile: flags.profile, region: flags.region, s3Endpoint: flags.s3Endpoint, env });
  const found: Array<{ key: string; modified: number }> = [];
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key?.endsWith('.json') === true) found.push({ key: object.Key, modified: object.LastModified?.getTime() ?? 0 });
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  } catch (error) {
    throw awsFailure(`list the reports under ${uri}`, error);
  } finally {
    s3.destroy();
  }
  found.sort((a, b) => b.modified - a.modified || a.key.localeCompare(b.key));
  return found.slice(0, count).map(({ key, modified }) => ({ uri: `s3://${bucket}/${key}`, lastModified: modified === 0 ? null : new Date(modified).toISOString() }));
}

function describe(status: FlowStatus): string {
  const lines = [`queue        ${status.queue.queued} queued, ${status.queue.inFlight} in flight${status.queue.delayed > 0 ? `, ${status.queue.delayed} delayed` : ''}`];
  if (status.deadLetter === null) lines.push('dead-letter  (unknown: give --function-stack or --dead-letter-queue-url)');
  else {
    lines.push(`dead-letter  ${status.deadLetter.count} episode${status.deadLetter.count === 1 ? '' : 's'}${status.deadLetter.count > 0 ? ' (their causes are in the Episode Failed events with deadLettered: true)' : ''}`);
    for (const letter of status.deadLetter.first) lines.push(`  ${letter.input ?? '(not an episode message)'}  received ${letter.receiveCount}×${letter.sentAt === null ? '' : `, sent ${letter.sentAt}`}`);
  }
  if (status.recentReports !== null) {
    lines.push(`reports      ${status.recentReports.length === 0 ? 'none yet' : 'newest first'}`);
    for (const report of status.recentReports) lines.push(`  ${report.lastModified ?? ''}  ${report.uri}`);
  }
  return `${lines.join('\n')}\n`;
}

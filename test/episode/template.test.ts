/**
 * The unattended flow in infra/template.yaml: parameters and the Rules that
 * refuse overlapping prefixes, the EventBridge rule's pattern on S3's documented
 * "Object Created" event, the queue and its dead-letter queue, the episode
 * function's SQS trigger, and least-privilege IAM.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefixesOverlap } from '../../src/core/episode/keys.js';
import { settingsFromEnv } from '../../src/lambda/episode/settings.js';
import { VIDEO_SUFFIXES } from '../../src/run/queue/video-keys.js';
import { conditionHolds, evaluate, failedAssertions, patternMatches, resolveParameters, resources, template, type Json } from './template.js';
import { objectCreatedEvent } from './events.js';

const FLOW = { VideoBucket: 'media', InputPrefix: 'incoming/', ReportPrefix: 'framescore/', Every: '1' };
const EPISODE_FUNCTIONS = { arm64: 'EpisodeFunctionArm64', x86_64: 'EpisodeFunctionX86' } as const;

/** What CloudFormation says to a deployment with these parameters: the problems, or none. */
function refusals(given: Record<string, string>): string[] {
  const { values, problems } = resolveParameters(given);
  return [...problems, ...failedAssertions(values)];
}

test('the issue\'s deployment is accepted and creates the flow; without InputPrefix there is no flow', () => {
  assert.deepEqual(refusals(FLOW), []);
  // Every must be above 0: 0 (or 0.0) is refused by its pattern; fractions are fine.
  for (const every of ['0', '0.0', '00']) assert.notDeepEqual(refusals({ ...FLOW, Every: every }), [], `Every=${every}`);
  for (const every of ['0.5', '2', '10.25', '']) assert.deepEqual(refusals({ ...FLOW, Every: every }), [], `Every=${every}`);
  assert.ok(conditionHolds('Unattended', resolveParameters(FLOW).values));
  assert.deepEqual(refusals({}), []);
  assert.ok(!conditionHolds('Unattended', resolveParameters({}).values));
  const flowResources = Object.entries(resources).filter(([name]) => name.startsWith('Episode')).map(([name, resource]) => [name, resource.Condition]);
  for (const [name, condition] of flowResources) assert.match(String(condition), /^Unattended/, `${name} exists only with the flow`);
});

test('overlapping input and report prefixes are refused before anything is created, and every accepted pair is disjoint', () => {
  assert.deepEqual(refusals({ ...FLOW, ReportPrefix: 'incoming/' }), ['InputPrefix and ReportPrefix overlap; reports must land outside the folder that starts the flow.']);
  // A report folder inside the input folder, or the input folder inside the report folder: one-folder prefixes only.
  assert.match(refusals({ ...FLOW, ReportPrefix: 'incoming/reports/' }).join('\n'), /ReportPrefix "incoming\/reports\/" does not match/);
  assert.match(refusals({ ...FLOW, InputPrefix: 'framescore/in/' }).join('\n'), /InputPrefix "framescore\/in\/" does not match/);
  // Wildcard characters would change the rule's pattern; a missing slash would make "in" a prefix of "index/".
  for (const bad of ['in*/', 'incoming', 'a\\b/']) assert.notDeepEqual(refusals({ ...FLOW, InputPrefix: bad }), [], bad);
  // Exhaustively over a small alphabet: whatever the parameters accept, the function's own overlap check agrees is disjoint.
  const names = ['a/', 'ab/', 'b/', 'a', 'a/b/', ''];
  for (const input of names) {
    for (const report of names) {
      const accepted = refusals({ ...FLOW, InputPrefix: input, ReportPrefix: report }).length === 0;
      if (accepted && input !== '') assert.ok(!prefixesOverlap(input, report), `${input} / ${report} accepted but overlapping`);
      if (input !== '' && report !== '' && prefixesOverlap(input, report)) assert.ok(!accepted, `${input} / ${report} overlap but were accepted`);
    }
  }
});

test('the flow needs VideoBucket, and a classifier grant (VideoPrefix) that covers InputPrefix', () => {
  assert.match(refusals({ ...FLOW, VideoBucket: '' }).join('\n'), /needs VideoBucket/);
  assert.deepEqual(refusals({ ...FLOW, VideoPrefix: 'incoming/' }), []);
  assert.match(refusals({ ...FLOW, VideoPrefix: 'other/' }).join('\n'), /VideoPrefix must be empty/);
});

test('the rule sends S3\'s Object Created events for videos under InputPrefix to the queue, and nothing else', () => {
  const { values } = resolveParameters(FLOW);
  const rule = resources.EpisodeRule!;
  assert.equal(rule.Properties.EventBusName, 'default', 'S3 publishes to the default bus');
  const pattern = evaluate(rule.Properties.EventPattern, values) as Json;
  const matches = (key: string, bucket = 'media', detailType = 'Object Created'): boolean => patternMatches(pattern, { ...objectCreatedEvent(bucket, key, 'abc', 10), 'detail-type': detailType });
  for (const key of ['incoming/ep1.mp4', 'incoming/show/s01/ep2.MOV', 'incoming/a.mkv', 'incoming/b.ts', 'incoming/c.webm']) assert.ok(matches(key), key);
  for (const key of ['framescore/incoming/ep1.mp4/e-abc.0123456789ab.json', 'framescore/incoming/ep1.mp4', 'incoming/notes.txt', 'incoming/_framescore.json', 'other/ep1.mp4', 'incoming.mp4']) assert.ok(!matches(key), key);
  assert.ok(!matches('incoming/ep1.mp4', 'other-bucket'));
  assert.ok(!matches('incoming/ep1.mp4', 'media', 'Object Deleted'));
  // framescore submit takes what an upload would: the same suffixes.
  assert.deepEqual((pattern.detail.object.key as Array<{ wildcard: string }>).map(({ wildcard }) => wildcard.replace('incoming/*', '')), [...VIDEO_SUFFIXES]);
  assert.deepEqual(rule.Properties.Targets[0].Arn, { 'Fn::GetAtt': ['EpisodeQueue', 'Arn'] });
  // Only this rule may send to the queue.
  const statement = resources.EpisodeQueuePolicy!.Properties.PolicyDocument.Statement[0] as Json;
  assert.deepEqual(statement.Principal, { Service: 'events.amazonaws.com' });
  assert.equal(statement.Action, 'sqs:SendMessage');
  assert.deepEqual(statement.Condition, { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['EpisodeRule', 'Arn'] } } });
});

test('the queue redrives to the dead-letter queue after MaxReceiveCount and outlasts the function\'s timeout six times; an alarm watches the DLQ', () => {
  const queue = resources.EpisodeQueue!.Properties as Json;
  assert.deepEqual(queue.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': ['EpisodeDeadLetterQueue', 'Arn'] }, maxReceiveCount: { Ref: 'MaxReceiveCount' } });
  for (const timeout of template.Parameters.EpisodeTimeout.AllowedValues as number[]) {
    const visibility = evaluate(queue.VisibilityTimeout, { ...resolveParameters({ ...FLOW, EpisodeTimeout: String(timeout) }).values }) as Json;
    // FindInMap is not evaluated above: read the mapping it names.
    assert.deepEqual(visibility, { 'Fn::FindInMap': ['EpisodeQueue', String(timeout), 'VisibilityTimeout'] });
    assert.equal(template.Mappings.EpisodeQueue[String(timeout)].VisibilityTimeout, 6 * timeout);
  }
  const alarm = resources.EpisodeDeadLetterAlarm!.Properties as Json;
  assert.equal(alarm.MetricName, 'ApproximateNumberOfMessagesVisible');
  assert.deepEqual(alarm.Dimensions[0].Value, { 'Fn::GetAtt': ['EpisodeDeadLetterQueue', 'QueueName'] });
  assert.equal(alarm.ComparisonOperator, 'GreaterThanThreshold');
  assert.equal(alarm.Threshold, 0);
});

test('the episode function takes one message at a time, reports partial batch failures, and is capped by EpisodeConcurrency', () => {
  for (const [architecture, name] of Object.entries(EPISODE_FUNCTIONS)) {
    const fn = resources[name]!.Properties as Json;
    assert.equal(fn.CodeUri, `../dist/episode-${architecture}.zip`);
    assert.deepEqual(fn.Architectures, [architecture]);
    // ffmpeg for the rare local frames; no ONNX Runtime layer: the episode function scores nothing itself.
    assert.deepEqual(fn.Layers, [{ Ref: architecture === 'arm64' ? 'FfmpegLayerArm64' : 'FfmpegLayerX86' }]);
    assert.deepEqual(fn.ReservedConcurrentExecutions, { Ref: 'EpisodeConcurrency' });
    assert.deepEqual(fn.Timeout, { Ref: 'EpisodeTimeout' });
    const trigger = fn.Events.Episodes.Properties as Json;
    assert.equal(fn.Events.Episodes.Type, 'SQS');
    assert.equal(trigger.BatchSize, 1);
    assert.deepEqual(trigger.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(trigger.ScalingConfig, { MaximumConcurrency: { Ref: 'EpisodeConcurrency' } });
    assert.equal(template.Globals.Function.Runtime, 'nodejs22.x');
  }
  assert.ok(template.Parameters.EpisodeConcurrency.MinValue >= 2, 'SQS\'s MaximumConcurrency is at least 2');
  assert.equal(template.Parameters.EpisodeTimeout.Default, 900);
});

test('the function\'s environment, resolved for the issue\'s deployment, is what the handler reads', () => {
  const { values } = resolveParameters(FLOW);
  const env = evaluate(resources.EpisodeFunctionArm64!.Properties.Environment.Variables, values) as Record<string, string>;
  assert.deepEqual(evaluate(resources.EpisodeFunctionX86!.Properties.Environment.Variables, values), env);
  const settings = settingsFromEnv(env);
  assert.equal(settings.bucket, 'media');
  assert.equal(settings.inputPrefix, 'incoming/');
  assert.equal(settings.reportPrefix, 'framescore/');
  assert.equal(settings.classifier, 'framescore-classifier');
  assert.equal(settings.maxReceiveCount, 3);
  assert.deepEqual(settings.defaults, { every: 1, threshold: 0.5, keyframes: false, sampleOn: 'auto', concurrency: 50 });
  const framesOnly = settingsFromEnv(evaluate(resources.EpisodeFunctionArm64!.Properties.Environment.Variables, resolveParameters({ ...FLOW, Every: '' }).values) as Record<string, string>);
  assert.deepEqual(framesOnly.defaults, { frames: 150, threshold: 0.5, keyframes: false, sampleOn: 'auto', concurrency: 50 });
});

test('IAM: the episode role reads the input prefix, writes only the report prefix, invokes only the classifier, puts events only on its bus', () => {
  const { values } = resolveParameters(FLOW);
  const statements = (evaluate(resources.EpisodeRole!.Properties.Policies[0].PolicyDocument.Statement, values) as Json[]);
  const grants = new Map<string, string[]>();
  for (const statement of statements) {
    assert.equal(statement.Effect, 'Allow');
    for (const action of [statement.Action].flat() as string[]) {
      assert.ok(!action.includes('*'), action);
      for (const resource of [statement.Resource].flat()) grants.set(action, [...(grants.get(action) ?? []), JSON.stringify(resource)]);
    }
  }
  assert.deepEqual(grants.get('s3:PutObject'), ['"arn:aws:s3:::media/framescore/*"']);
  // VideoPrefix '' (the default): the whole bucket, which submit's backfills need; with VideoPrefix=incoming/ only that.
  assert.deepEqual(grants.get('s3:GetObject')?.sort(), ['"arn:aws:s3:::media/*"', '"arn:aws:s3:::media/framescore/*"']);
  const narrow = evaluate(resources.EpisodeRole!.Properties.Policies[0].PolicyDocument.Statement, resolveParameters({ ...FLOW, VideoPrefix: 'incoming/' }).values) as Json[];
  assert.ok(narrow.some((statement) => statement.Resource === 'arn:aws:s3:::media/incoming/*' && [statement.Action].flat().includes('s3:GetObject')));
  assert.deepEqual(grants.get('s3:ListBucket'), ['"arn:aws:s3:::media"']);
  assert.deepEqual(grants.get('lambda:InvokeFunction'), ['"arn:aws:lambda:us-east-1:111122223333:function:framescore-classifier"', '"arn:aws:lambda:us-east-1:111122223333:function:framescore-classifier:*"']);
  assert.deepEqual(grants.get('events:PutEvents'), ['"arn:aws:events:us-east-1:111122223333:event-bus/default"']);
  assert.deepEqual(grants.get('sqs:ReceiveMessage'), [JSON.stringify({ 'Fn::GetAtt': ['EpisodeQueue', 'Arn'] })]);
  const all = [...grants.keys()].sort();
  assert.deepEqual(all, ['events:PutEvents', 'lambda:GetFunctionConfiguration', 'lambda:InvokeFunction', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:PutObject',
    'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
});

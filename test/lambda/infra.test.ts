/**
 * infra/template.yaml parsed with CloudFormation's short-form tags: the
 * function, its triggers, and least-privilege IAM.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { cfnTags } from '../helpers/cloudformation-yaml.js';
import { routeEvent } from '../../src/lambda/events.js';
import { repoRoot } from './fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed template is untyped JSON


const template = parse(await readFile(path.join(repoRoot, 'infra', 'template.yaml'), 'utf8'), { customTags: cfnTags }) as Json;
const resources = template.Resources as Record<string, Json>;
/** One function per architecture; SAM merges Globals.Function into each. */
const FUNCTIONS_BY_ARCH = { arm64: 'ClassifierFunctionArm64', x86_64: 'ClassifierFunctionX86' } as const;
/** Each function's layers, in order: ONNX Runtime (its binding) and ffmpeg, each for the function's CPU. */
const LAYERS_BY_ARCH = { arm64: { onnxruntime: 'OnnxRuntimeLayerArm64', ffmpeg: 'FfmpegLayerArm64' }, x86_64: { onnxruntime: 'OnnxRuntimeLayerX86', ffmpeg: 'FfmpegLayerX86' } } as const;
const functionProperties = (name: string): Json => ({ ...(template.Globals.Function as Json), ...(resources[name]!.Properties as Json) });
const fn = functionProperties(FUNCTIONS_BY_ARCH.arm64);

test('one Node 22 function, whose zip matches the Architecture parameter (arm64 by default), sized by parameters', () => {
  assert.equal(template.Transform, 'AWS::Serverless-2016-10-31');
  assert.equal(template.Parameters.Architecture.Default, 'arm64');
  assert.deepEqual(template.Parameters.Architecture.AllowedValues, Object.keys(FUNCTIONS_BY_ARCH));
  // The unattended flow's Episode* resources are tested in test/episode/template.test.ts.
  const serverless = Object.entries(resources).filter(([name, resource]) => resource.Type === 'AWS::Serverless::Function' && !name.startsWith('Episode'));
  assert.deepEqual(serverless.map(([name]) => name).sort(), Object.values(FUNCTIONS_BY_ARCH).sort());
  for (const [architecture, name] of Object.entries(FUNCTIONS_BY_ARCH)) {
    const resource = resources[name]!;
    const condition = template.Conditions[resource.Condition as string] as Json;
    assert.deepEqual(condition, { 'Fn::Equals': [{ Ref: 'Architecture' }, architecture] }, `${name} exists only for ${architecture}`);
    const properties = functionProperties(name);
    assert.equal(properties.CodeUri, `../dist/lambda-${architecture}.zip`);
    assert.deepEqual(properties.Architectures, [architecture]);
    assert.equal(properties.Runtime, 'nodejs22.x');
    assert.equal(properties.Handler, 'index.handler');
    assert.deepEqual(properties, { ...fn, CodeUri: properties.CodeUri, Architectures: properties.Architectures, Layers: properties.Layers }, 'the two differ only in zip, architecture and layer');
  }
  for (const [property, parameter] of [['MemorySize', 'MemorySize'], ['Timeout', 'Timeout']]) assert.deepEqual(fn[property!], { Ref: parameter });
  // Two vCPUs (1,769 MB each): one ffmpeg decoder per vCPU while sampling.
  assert.equal(template.Parameters.MemorySize.Default, 3538);
  assert.equal(template.Parameters.Timeout.Default, 60);
  assert.deepEqual(fn.ReservedConcurrentExecutions, { 'Fn::If': ['HasReservedConcurrency', { Ref: 'ReservedConcurrency' }, { Ref: 'AWS::NoValue' }] });
});

test('each function carries the ONNX Runtime and ffmpeg layers of its own architecture, whose zips package:lambda writes', () => {
  const layers = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Serverless::LayerVersion');
  assert.deepEqual(layers.map(([name]) => name).sort(), Object.values(LAYERS_BY_ARCH).flatMap((byKind) => Object.values(byKind)).sort());
  for (const [architecture, byKind] of Object.entries(LAYERS_BY_ARCH)) {
    const functionName = FUNCTIONS_BY_ARCH[architecture as keyof typeof FUNCTIONS_BY_ARCH];
    for (const [kind, name] of Object.entries(byKind)) {
      const layer = resources[name]!;
      assert.equal(layer.Condition, resources[functionName]!.Condition, `${name} exists exactly when its function does`);
      assert.equal(layer.Properties.ContentUri, `../dist/${kind}-layer-${architecture}.zip`);
      assert.deepEqual(layer.Properties.CompatibleArchitectures, [architecture]);
      assert.deepEqual(layer.Properties.CompatibleRuntimes, [fn.Runtime]);
      assert.match(String(layer.Properties.LicenseInfo), kind === 'ffmpeg' ? /^GPL-3\.0/ : /^MIT$/);
    }
    assert.deepEqual(functionProperties(functionName).Layers, [{ Ref: byKind.onnxruntime }, { Ref: byKind.ffmpeg }]);
  }
});

test('VideoBucket/VideoPrefix set VIDEO_URI_PREFIXES; empty (the default) means no sampling', () => {
  for (const name of ['VideoBucket', 'VideoPrefix']) {
    assert.equal(template.Parameters[name].Type, 'String', name);
    assert.equal(template.Parameters[name].Default, '', name);
  }
  const prefixPattern = new RegExp(template.Parameters.VideoPrefix.AllowedPattern as string);
  for (const good of ['', 'uploads/', 'a/b/']) assert.ok(prefixPattern.test(good), good);
  for (const bad of ['uploads', 'a/*/']) assert.ok(!prefixPattern.test(bad), bad);
  assert.deepEqual(template.Conditions.SampleVideos, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'VideoBucket' }, ''] }] });
  assert.deepEqual(fn.Environment.Variables.VIDEO_URI_PREFIXES, { 'Fn::If': ['SampleVideos', { 'Fn::Sub': 's3://${VideoBucket}/${VideoPrefix}' }, ''] });
});

test('the function may GetObject only under the video prefix, and only when VideoBucket is set', () => {
  const video = resources.VideoReadPolicy!;
  assert.equal(video.Type, 'AWS::IAM::RolePolicy');
  assert.equal(video.Condition, 'SampleVideos', 'no sampling grant when VideoBucket is empty');
  assert.deepEqual(video.Properties.RoleName, { Ref: 'ClassifierRole' });
  const statements = video.Properties.PolicyDocument.Statement as Json[];
  assert.equal(statements.length, 1);
  assert.equal(statements[0]!.Effect, 'Allow');
  assert.equal(statements[0]!.Action, 's3:GetObject');
  assert.equal(statements[0]!.Resource['Fn::Sub'], 'arn:${AWS::Partition}:s3:::${VideoBucket}/${VideoPrefix}*');
  // Nothing else in the template mentions the video bucket: no unconditional grant.
  // (The unattended flow's Episode* resources exist only with InputPrefix, whose rule requires VideoBucket.)
  const mentions = Object.entries(resources).filter(([name, resource]) => JSON.stringify(resource).includes('VideoBucket') && !name.startsWith('Episode')).map(([name]) => name);
  assert.deepEqual(mentions, ['VideoReadPolicy']);
});

test('the Function URL needs IAM auth; the HTTP API is optional and IAM-authorised too', () => {
  assert.deepEqual(fn.FunctionUrlConfig, { AuthType: 'AWS_IAM' });
  const httpResources = Object.entries(resources).filter(([, resource]) => String(resource.Type).startsWith('AWS::ApiGatewayV2::'));
  assert.equal(httpResources.length, 4);
  for (const [name, resource] of httpResources) assert.equal(resource.Condition, 'CreateHttpApi', name);
  assert.equal(resources.HttpApiRoute!.Properties.AuthorizationType, 'AWS_IAM');
  assert.equal(resources.HttpApiIntegration!.Properties.PayloadFormatVersion, '2.0');
  assert.equal(resources.HttpApiInvokePermission!.Condition, 'CreateHttpApi');
});

test('warm-up pings come from a schedule that a parameter turns off, and the handler accepts them', () => {
  const warmup = fn.Events.Warmup as Json;
  assert.equal(warmup.Type, 'Schedule');
  assert.deepEqual(warmup.Properties.State, { 'Fn::If': ['WarmupEnabled', 'ENABLED', 'DISABLED'] });
  assert.equal(warmup.Properties.Input, undefined, 'the handler expects the plain scheduled-event shape');
  assert.equal(routeEvent({ version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {}, resources: [] }).kind, 'warmup');
});

test('logs go to a log group with a retention period', () => {
  const group = resources.ClassifierLogGroup!;
  assert.equal(group.Type, 'AWS::Logs::LogGroup');
  assert.deepEqual(group.Properties.RetentionInDays, { Ref: 'LogRetentionDays' });
  assert.deepEqual(fn.LoggingConfig, { LogGroup: { Ref: 'ClassifierLogGroup' } });
});

test('IAM is least privilege: no wildcard resources or actions, S3 read only on the model prefix', () => {
  const statements: Json[] = [];
  for (const resource of Object.values(resources)) {
    const documents = resource.Type === 'AWS::IAM::Role' ? (resource.Properties.Policies as Json[]).map((policy) => policy.PolicyDocument) : resource.Type === 'AWS::IAM::RolePolicy' ? [resource.Properties.PolicyDocument] : [];
    for (const document of documents) statements.push(...(document.Statement as Json[]));
  }
  assert.ok(statements.length >= 2);
  for (const statement of statements) {
    const actions = [statement.Action].flat() as string[];
    for (const action of actions) assert.ok(action !== '*' && !action.endsWith(':*'), `action ${action}`);
    for (const resource of [statement.Resource].flat()) assert.notEqual(resource, '*');
  }
  assert.equal(fn.Policies, undefined, 'no SAM policy templates that widen the role');
  const s3Policy = resources.ModelReadPolicy!;
  assert.equal(s3Policy.Condition, 'UseS3Model');
  const [statement] = s3Policy.Properties.PolicyDocument.Statement as Json[];
  assert.equal(statement!.Action, 's3:GetObject');
  assert.equal(statement!.Resource['Fn::Sub'], 'arn:${AWS::Partition}:s3:::${ModelBucket}/${ModelPrefix}*');
  assert.deepEqual(fn.Environment.Variables.MODEL_URI, { 'Fn::If': ['UseS3Model', { 'Fn::Sub': 's3://${ModelBucket}/${ModelPrefix}' }, ''] });
});

test('every Ref and GetAtt names a parameter, a resource or one SAM generates, and outputs follow the architecture', () => {
  const generated = Object.values(FUNCTIONS_BY_ARCH).map((name) => `${name}Url`);
  const known = new Set([...Object.keys(template.Parameters), ...Object.keys(resources), ...generated]);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'Ref' && typeof value === 'string' && !value.startsWith('AWS::')) assert.ok(known.has(value), `Ref ${value}`);
        if (key === 'Fn::GetAtt') assert.ok(known.has((value as string[])[0]!), `GetAtt ${String(value)}`);
        visit(value);
      }
    }
  };
  visit({ Globals: template.Globals, Resources: resources, Outputs: template.Outputs });
  for (const output of ['FunctionName', 'FunctionArn', 'FunctionUrl']) assert.equal(template.Outputs[output].Value['Fn::If'][0], 'IsArm64', output);
});

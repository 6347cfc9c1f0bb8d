/**
 * infra/template.yaml parsed with CloudFormation's short-form tags: the
 * function, its triggers, and least-privilege IAM.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse, type Tags } from 'yaml';
import { routeEvent } from '../../src/lambda/events.js';
import { repoRoot } from './fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed template is untyped JSON

const FUNCTIONS = ['And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAZs', 'If', 'ImportValue', 'Join', 'Not', 'Or', 'Select', 'Split', 'Sub'];
const cfnTags: Tags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
  ...FUNCTIONS.flatMap((name) => [
    { tag: `!${name}`, resolve: (value: string) => ({ [`Fn::${name}`]: value }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (value: { toJSON(): unknown }) => ({ [`Fn::${name}`]: value.toJSON() }) },
    { tag: `!${name}`, collection: 'map' as const, resolve: (value: { toJSON(): unknown }) => ({ [`Fn::${name}`]: value.toJSON() }) },
  ]),
];

const template = parse(await readFile(path.join(repoRoot, 'infra', 'template.yaml'), 'utf8'), { customTags: cfnTags }) as Json;
const resources = template.Resources as Record<string, Json>;
/** One function per architecture; SAM merges Globals.Function into each. */
const FUNCTIONS_BY_ARCH = { arm64: 'ClassifierFunctionArm64', x86_64: 'ClassifierFunctionX86' } as const;
const functionProperties = (name: string): Json => ({ ...(template.Globals.Function as Json), ...(resources[name]!.Properties as Json) });
const fn = functionProperties(FUNCTIONS_BY_ARCH.arm64);

test('one Node 22 function, whose zip matches the Architecture parameter (arm64 by default), sized by parameters', () => {
  assert.equal(template.Transform, 'AWS::Serverless-2016-10-31');
  assert.equal(template.Parameters.Architecture.Default, 'arm64');
  assert.deepEqual(template.Parameters.Architecture.AllowedValues, Object.keys(FUNCTIONS_BY_ARCH));
  const serverless = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Serverless::Function');
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
    assert.deepEqual(properties, { ...fn, CodeUri: properties.CodeUri, Architectures: properties.Architectures }, 'the two differ only in zip and architecture');
  }
  for (const [property, parameter] of [['MemorySize', 'MemorySize'], ['Timeout', 'Timeout']]) assert.deepEqual(fn[property!], { Ref: parameter });
  assert.equal(template.Parameters.MemorySize.Default, 1769);
  assert.equal(template.Parameters.Timeout.Default, 30);
  assert.deepEqual(fn.ReservedConcurrentExecutions, { 'Fn::If': ['HasReservedConcurrency', { Ref: 'ReservedConcurrency' }, { Ref: 'AWS::NoValue' }] });
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

/**
 * infra/template.yaml parsed with CloudFormation's short-form tags, and the
 * little of CloudFormation's evaluation the episode tests need: parameter
 * validation (AllowedPattern, AllowedValues), the Rules section's functions,
 * and Fn::Sub / Fn::If / Ref on resolved parameters.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { cfnTags } from '../helpers/cloudformation-yaml.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed template is untyped JSON

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');


export const template = parse(readFileSync(path.join(repoRoot, 'infra', 'template.yaml'), 'utf8'), { customTags: cfnTags }) as Json;
export const resources = template.Resources as Record<string, Json>;

/** Parameter values as CloudFormation would take them: defaults filled in, each checked against its constraints. */
export function resolveParameters(given: Record<string, string>): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = { 'AWS::Region': 'us-east-1', 'AWS::AccountId': '111122223333', 'AWS::Partition': 'aws', 'AWS::StackName': 'framescore' };
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(template.Parameters as Record<string, Json>)) {
    const value = given[name] ?? (spec.Default === undefined ? undefined : String(spec.Default));
    if (value === undefined) { problems.push(`${name} has no value`); continue; }
    values[name] = value;
    if (spec.AllowedPattern !== undefined && !new RegExp(spec.AllowedPattern as string).test(value)) problems.push(`${name} "${value}" does not match ${spec.AllowedPattern}`);
    if (spec.AllowedValues !== undefined && !(spec.AllowedValues as unknown[]).map(String).includes(value)) problems.push(`${name} "${value}" is not allowed`);
  }
  for (const name of Object.keys(given)) if (!(name in values)) problems.push(`${name} is not a parameter`);
  return { values, problems };
}

/** The Rules section: the descriptions of the assertions that fail (an empty list: the stack operation may go ahead). */
export function failedAssertions(values: Record<string, string>): string[] {
  const failed: string[] = [];
  for (const rule of Object.values((template.Rules ?? {}) as Record<string, Json>)) {
    if (rule.RuleCondition !== undefined && evaluate(rule.RuleCondition, values) !== true) continue;
    for (const assertion of rule.Assertions as Json[]) if (evaluate(assertion.Assert, values) !== true) failed.push(assertion.AssertDescription as string);
  }
  return failed;
}

/** Conditions too, so a test can ask which resources exist for a set of parameters. */
export function conditionHolds(name: string, values: Record<string, string>): boolean {
  return evaluate(template.Conditions[name], values) === true;
}

export function evaluate(node: unknown, values: Record<string, string>): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) return node.map((item) => evaluate(item, values));
  const [[fn, args]] = Object.entries(node as Json) as [[string, any]]; // eslint-disable-line @typescript-eslint/no-explicit-any -- see Json
  switch (fn) {
    case 'Ref': {
      if (!(args in values)) throw new Error(`Ref ${args} is not a parameter`);
      return values[args];
    }
    case 'Condition': return conditionHolds(args as string, values);
    case 'Fn::Equals': return String(evaluate(args[0], values)) === String(evaluate(args[1], values));
    case 'Fn::Not': return evaluate(args[0], values) !== true;
    case 'Fn::And': return (args as unknown[]).every((item) => evaluate(item, values) === true);
    case 'Fn::Or': return (args as unknown[]).some((item) => evaluate(item, values) === true);
    case 'Fn::Contains': return (evaluate(args[0], values) as unknown[]).map(String).includes(String(evaluate(args[1], values)));
    case 'Fn::If': return evaluate(conditionHolds(args[0] as string, values) ? args[1] : args[2], values);
    case 'Fn::Sub': return (args as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (!(name in values)) throw new Error(`Fn::Sub \${${name}} is not a parameter here`);
      return values[name]!;
    });
    default: return Object.fromEntries(Object.entries(node as Json).map(([key, value]) => [key, evaluate(value, values)]));
  }
}

/**
 * EventBridge content filtering for the rule's pattern on one S3 event
 * (exact strings and wildcard filters, the only kinds the template uses).
 */
export function patternMatches(pattern: Json, event: Json): boolean {
  return Object.entries(pattern).every(([field, filter]) => {
    const value = event[field];
    if (!Array.isArray(filter)) return typeof value === 'object' && value !== null && patternMatches(filter as Json, value as Json);
    return (filter as unknown[]).some((item) => {
      if (typeof item === 'string') return value === item;
      const wildcard = (item as { wildcard?: string }).wildcard;
      if (wildcard === undefined) throw new Error(`filter ${JSON.stringify(item)} is not supported here`);
      const regex = new RegExp(`^${wildcard.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      return typeof value === 'string' && regex.test(value);
    });
  });
}

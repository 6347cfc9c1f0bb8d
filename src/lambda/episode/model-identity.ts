/**
 * The model the classifier serves now, from its warm-up answer (model.sha256,
 * the same identity the report records): it goes into the report key, so a
 * redeployed model classifies episodes again instead of reusing old reports.
 * Asked once per episode: a warm episode environment outlives a deploy.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { WarmupResponse } from '../../core/contract.js';

export type ModelIdentityLookup = () => Promise<string>;

/** An error named as the run engine names an unreachable classifier, so it is CLASSIFIER_UNAVAILABLE (retried). */
export class FunctionUnavailableError extends Error {
  override readonly name = 'FunctionUnavailableError';
}

export function classifierModelSha256(client: LambdaClient, functionName: string): ModelIdentityLookup {
  return async () => {
    const answer = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify({ warmup: true }) }));
    const text = new TextDecoder().decode(answer.Payload);
    let parsed: Partial<WarmupResponse> | undefined;
    try {
      parsed = JSON.parse(text) as Partial<WarmupResponse>;
    } catch {
      parsed = undefined;
    }
    const sha256 = parsed?.model?.sha256;
    if (answer.FunctionError !== undefined || typeof sha256 !== 'string' || sha256 === '') {
      throw new FunctionUnavailableError(`the classifier ${functionName} did not name its model in its warm-up answer: ${answer.FunctionError ?? ''} ${text.slice(0, 300)}`.trim());
    }
    return sha256;
  };
}

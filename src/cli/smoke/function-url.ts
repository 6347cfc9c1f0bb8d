import type { LambdaClient } from '@aws-sdk/client-lambda';
import { parseImageResponse } from '../../core/contract.js';
import { ContractError, errorMessage } from '../../core/errors.js';
import { isRecord } from '../../core/model-manifest.js';
import { compareScores } from './compare.js';
import type { SmokeFixtures } from './fixtures.js';
import { clip } from './invoke.js';
import { check, type CheckResult } from './result.js';
import { regionOfUrl, signedHeaders } from './sign-request.js';

/**
 * POSTs the first fixture frame to the Function URL as JSON {"image": base64}:
 * every front door the handler supports (Function URL, API Gateway, and
 * serverless-offline, which mangles raw binary bodies) passes JSON intact.
 * The request is SigV4-signed with the Lambda client's credentials (IAM auth);
 * without credentials it goes unsigned. Expects 200 with the same model and
 * scores as the batch path.
 */
export async function functionUrlCheck(
  url: string, fixtures: SmokeFixtures, tolerance: number, timeoutMs: number, client: LambdaClient, signal?: AbortSignal,
): Promise<CheckResult> {
  const frame = fixtures.frames[0]!;
  const body = JSON.stringify({ image: Buffer.from(frame.jpeg).toString('base64') });
  const { headers, unsigned } = await sign(new URL(url), body, { 'content-type': 'application/json', accept: 'application/json' }, client);
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let status: number;
  let text: string;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? ` (${errorMessage(error.cause)})` : '';
    return check('function-url', 'fail', `POST ${url} failed: ${errorMessage(error)}${cause}`, { durationMs: elapsed() });
  }
  const latencyMs = elapsed();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  const facts = { status, latencyMs };
  if (status !== 200 || !isRecord(answer)) {
    const reason = isRecord(answer) && isRecord(answer.error) ? `${String(answer.error.code)}: ${String(answer.error.message)}` : clip(text);
    return check('function-url', 'fail', `POST ${url} answered HTTP ${status}: ${reason}`, { details: unsigned === undefined ? [] : [unsigned], durationMs: latencyMs, facts });
  }
  let response;
  try {
    response = parseImageResponse(answer);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return check('function-url', 'fail', `POST ${url} answered 200 with a body that breaks the contract: ${error.message}`, { details: [clip(text)], durationMs: latencyMs, facts });
  }
  const details: string[] = [];
  if (response.model.sha256 !== fixtures.model.sha256) details.push(`model sha256: expected ${fixtures.model.sha256}, got ${response.model.sha256}`);
  details.push(...compareScores(frame.id, frame.scores, response.scores, tolerance).differences);
  if (details.length > 0) return check('function-url', 'fail', `POST ${url} answered 200 with a different model or scores`, { details, durationMs: latencyMs, facts });
  return check('function-url', 'pass', `POST ${url} answered 200 in ${latencyMs} ms with the expected model and scores`, { durationMs: latencyMs, facts });
}

/** Signs with the client's credentials and region (or the URL's region); says why when it cannot. */
async function sign(url: URL, body: string, headers: Record<string, string>, client: LambdaClient): Promise<{ headers: Record<string, string>; unsigned?: string }> {
  let credentials;
  try {
    credentials = await client.config.credentials();
  } catch (error) {
    return { headers, unsigned: `the request was sent unsigned: no AWS credentials (${errorMessage(error)})` };
  }
  const region = regionOfUrl(url) ?? (await client.config.region());
  return { headers: await signedHeaders(url, body, headers, credentials, region) };
}

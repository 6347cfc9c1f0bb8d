import { errorMessage } from '../../core/errors.js';
import { isRecord } from '../../core/model-manifest.js';
import { compareScores } from './compare.js';
import type { SmokeFixtures } from './fixtures.js';
import { clip } from './invoke.js';
import { check, type CheckResult } from './result.js';

/**
 * POSTs the first fixture frame to the Function URL as JSON {"image": base64}:
 * every front door the handler supports (Function URL, API Gateway, and
 * serverless-offline, which mangles raw binary bodies) passes JSON intact.
 * Expects 200 with the same model and scores as the batch path.
 */
export async function functionUrlCheck(url: string, fixtures: SmokeFixtures, tolerance: number, timeoutMs: number, signal?: AbortSignal): Promise<CheckResult> {
  const frame = fixtures.frames[0]!;
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let status: number;
  let text: string;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ image: Buffer.from(frame.jpeg).toString('base64') }),
      signal: signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? ` (${errorMessage(error.cause)})` : '';
    return check('function-url', 'fail', `POST ${url} failed: ${errorMessage(error)}${cause}`, { durationMs: elapsed() });
  }
  const latencyMs = elapsed();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const facts = { status, latencyMs };
  if (status !== 200 || !isRecord(body)) {
    const reason = isRecord(body) && isRecord(body.error) ? `${String(body.error.code)}: ${String(body.error.message)}` : clip(text);
    return check('function-url', 'fail', `POST ${url} answered HTTP ${status}: ${reason}`, { durationMs: latencyMs, facts });
  }
  const details: string[] = [];
  const model = isRecord(body.model) ? body.model : {};
  if (model.sha256 !== fixtures.model.sha256) details.push(`model sha256: expected ${fixtures.model.sha256}, got ${String(model.sha256)}`);
  if (!isRecord(body.scores)) details.push(`the body has no scores: ${clip(text)}`);
  else details.push(...compareScores(frame.id, frame.scores, body.scores, tolerance).differences);
  if (details.length > 0) return check('function-url', 'fail', `POST ${url} answered 200 with a different model or scores`, { details, durationMs: latencyMs, facts });
  return check('function-url', 'pass', `POST ${url} answered 200 in ${latencyMs} ms with the expected model and scores`, { durationMs: latencyMs, facts });
}

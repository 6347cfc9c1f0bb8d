/**
 * The classifier Lambda. One function, four kinds of event: a batch per the
 * CLI contract, an HTTP proxy request with one image, a warm-up ping, and
 * anything else (answered with a validation error, never a crash).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../core/errors.js';
import { errorResponse, handleBatch, type Outcome } from './batch.js';
import { routeEvent, type RoutedEvent } from './events.js';
import { handleHttp, httpError } from './http-handler.js';
import { logInitFailure, logInvocation, logModelReady, NO_FRAMES, roundMs } from './log.js';
import { loadModel } from './model-loader.js';
import { ModelRuntime } from './runtime.js';
import { handleWarmup } from './warmup.js';
import { samplingAccess } from './sampling/access.js';
import type { S3Client } from '@aws-sdk/client-s3';

/** The parts of the Lambda context object the handler uses. */
export interface LambdaContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

const codeDir = path.dirname(fileURLToPath(import.meta.url));
const runtime = new ModelRuntime(async () => {
  const started = performance.now();
  const model = await loadModel(codeDir);
  logModelReady({
    source: model.source, downloaded: model.downloaded, loadMs: roundMs(performance.now() - started), sha256: model.classifier.identity.sha256,
    engine: model.classifier.engine.name, ...(model.fellBack === undefined ? {} : { fellBack: model.fellBack }),
  });
  return model;
});

// Load during INIT so the first request does not pay for it. A failure must not
// crash the environment: it is logged, and the next invocation retries and
// answers MODEL_UNAVAILABLE with the reason if it fails again.
await runtime.start().catch((error: unknown) => logInitFailure(errorMessage(error)));

/** Whether and what this environment samples (read once: env vars do not change within an environment). */
const access = samplingAccess();
let s3: S3Client | undefined;

async function sample(event: Record<string, unknown>, context: LambdaContext | undefined): Promise<Outcome<unknown>> {
  // Imported on first use: batch and HTTP invocations never load the S3 client or the media module.
  const [{ handleSample }, { createS3Client }] = await Promise.all([import('./sampling/sample-handler.js'), import('./s3-model.js')]);
  return handleSample(event, {
    runtime, access,
    s3: () => (s3 ??= createS3Client()),
    remainingMs: remainingClock(context),
  });
}

/** The invocation's clock; without a context (a local call) as if the template's 60 s timeout had just begun. */
function remainingClock(context: LambdaContext | undefined): () => number {
  if (context?.getRemainingTimeInMillis !== undefined) return () => context.getRemainingTimeInMillis!();
  const end = performance.now() + 60_000;
  return () => end - performance.now();
}

export async function handler(event: unknown, context?: LambdaContext): Promise<unknown> {
  const started = performance.now();
  const route = routeEvent(event);
  let outcome: Outcome<unknown>;
  try {
    outcome = await dispatch(route, context);
  } catch (error) {
    // A bug, not bad input: answer in the caller's terms and keep the environment alive.
    const message = `internal error: ${errorMessage(error)}`;
    outcome = route.kind === 'http' ? httpError('INTERNAL', message, 0) : { response: errorResponse('INTERNAL', message), stats: { ...NO_FRAMES, error: { code: 'INTERNAL', message } } };
  }
  logInvocation({ requestId: context?.awsRequestId ?? 'local', kind: route.kind, durationMs: roundMs(performance.now() - started), ...outcome.stats });
  return outcome.response;
}

function dispatch(route: RoutedEvent, context: LambdaContext | undefined): Promise<Outcome<unknown>> {
  switch (route.kind) {
    case 'batch':
      return handleBatch(route.event, runtime, remainingClock(context));
    case 'http':
      return handleHttp(route.request, runtime);
    case 'sample':
      return sample(route.event, context);
    case 'warmup':
      return handleWarmup(route.holdMs, runtime, access, context?.getRemainingTimeInMillis?.bind(context));
    case 'invalid': {
      const error = { code: 'INVALID_REQUEST' as const, message: route.message };
      return Promise.resolve({ response: errorResponse(error.code, error.message), stats: { ...NO_FRAMES, error } });
    }
  }
}

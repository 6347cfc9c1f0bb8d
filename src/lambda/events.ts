/**
 * Decides what kind of event the function received. Everything the handler
 * accepts is recognised here; anything else becomes a validation message.
 */
import { isWarmupRequest, MAX_HOLD_MS } from '../core/contract.js';
import { isRecord } from '../core/model-manifest.js';
import { parseHttpEvent, type HttpRequest } from './http-event.js';

export type RoutedEvent =
  | { readonly kind: 'batch'; readonly event: Record<string, unknown> }
  | { readonly kind: 'sample'; readonly event: Record<string, unknown> }
  | { readonly kind: 'http'; readonly request: HttpRequest }
  | { readonly kind: 'warmup'; readonly holdMs: number; readonly trigger: 'schedule' | 'request' }
  | { readonly kind: 'invalid'; readonly message: string };

export type EventKind = RoutedEvent['kind'];

const EXPECTED = 'expected a batch {"v":1,"frames":[{"id","image"}]}, a warm-up {"warmup":true}, a scheduled event or an HTTP request';

export function routeEvent(event: unknown): RoutedEvent {
  if (!isRecord(event)) return { kind: 'invalid', message: `event is ${describe(event)}, not a JSON object; ${EXPECTED}` };
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event') return { kind: 'warmup', holdMs: 0, trigger: 'schedule' };
  if (isWarmupRequest(event)) {
    const holdMs = event.holdMs ?? 0;
    if (typeof holdMs !== 'number' || !Number.isFinite(holdMs) || holdMs < 0) {
      return { kind: 'invalid', message: `warm-up "holdMs" must be a number of milliseconds from 0 to ${MAX_HOLD_MS}` };
    }
    return { kind: 'warmup', holdMs: Math.min(holdMs, MAX_HOLD_MS), trigger: 'request' };
  }
  if ('warmup' in event) return { kind: 'invalid', message: 'warm-up "warmup" must be true' };
  const request = parseHttpEvent(event);
  if (request !== undefined) return { kind: 'http', request };
  if (event.kind === 'sample') return { kind: 'sample', event };
  if ('v' in event || 'frames' in event) return { kind: 'batch', event };
  const keys = Object.keys(event).slice(0, 5);
  return { kind: 'invalid', message: `event with ${keys.length === 0 ? 'no fields' : `fields ${keys.join(', ')}`} is not a framescore request; ${EXPECTED}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

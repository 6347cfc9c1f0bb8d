/**
 * A local server speaking EventBridge's PutEvents (AWS JSON 1.1 protocol,
 * X-Amz-Target: AWSEvents.PutEvents), which records every entry so tests can
 * read the events a function published. It checks what the real API checks
 * that a caller could get wrong: Source, DetailType and Detail present, Detail
 * a JSON object, at most 10 entries, Resources ARNs. A test may make it refuse
 * entries (an entry-level ErrorCode, as PutEvents reports a failed entry).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName?: string;
  readonly Resources?: string[];
}

export interface CapturedEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly eventBusName: string;
  readonly resources: readonly string[];
}

export interface EventBridgeServer {
  readonly endpoint: string;
  readonly events: CapturedEvent[];
  /** Resolves once `count` events matching `filter` have arrived. */
  waitFor(count: number, filter?: (event: CapturedEvent) => boolean): Promise<CapturedEvent[]>;
  /** Refuses the next `count` entries of this detail type (ErrorCode InternalFailure; not recorded). */
  refuseNext(detailType: string, count: number): void;
  stop(): Promise<void>;
}

export async function startEventBridgeServer(): Promise<EventBridgeServer> {
  const events: CapturedEvent[] = [];
  const waiters: Array<() => void> = [];
  const refusals = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      };
      if (request.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        reply(400, { __type: 'UnknownOperationException', message: `unsupported operation ${String(request.headers['x-amz-target'])}` });
        return;
      }
      let entries: PutEventsEntry[];
      try {
        entries = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: PutEventsEntry[] }).Entries;
      } catch {
        reply(400, { __type: 'SerializationException', message: 'body is not JSON' });
        return;
      }
      if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
        reply(400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 entries' });
        return;
      }
      const results = entries.map((entry) => {
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        if (typeof entry.Source !== 'string' || typeof entry.DetailType !== 'string' || typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
          return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and a JSON object Detail are required.' };
        }
        if ((entry.Resources ?? []).some((resource) => typeof resource !== 'string' || !resource.startsWith('arn:'))) {
          return { ErrorCode: 'InvalidArgument', ErrorMessage: `Resources must be ARNs: ${JSON.stringify(entry.Resources)}` };
        }
        const refused = refusals.get(entry.DetailType) ?? 0;
        if (refused > 0) {
          refusals.set(entry.DetailType, refused - 1);
          return { ErrorCode: 'InternalFailure', ErrorMessage: 'refused by the test' };
        }
        events.push({ source: entry.Source, detailType: entry.DetailType, detail: detail as Record<string, unknown>, eventBusName: entry.EventBusName ?? 'default', resources: entry.Resources ?? [] });
        return { EventId: randomUUID() };
      });
      reply(200, { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results });
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    async waitFor(count, filter = () => true) {
      for (;;) {
        const matching = events.filter(filter);
        if (matching.length >= count) return matching;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    refuseNext(detailType, count) { refusals.set(detailType, count); },
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * Parses the `REPORT` line Lambda writes at the end of every invocation, as
 * returned (base64, last 4 KB of the log) with `LogType: Tail`:
 *   REPORT RequestId: … Duration: 102.35 ms Billed Duration: 103 ms Memory Size: 2048 MB Max Memory Used: 180 MB Init Duration: 450.12 ms
 * `Init Duration` appears only on a cold start.
 */

export interface ReportLine {
  readonly requestId?: string;
  readonly durationMs: number;
  readonly billedMs: number;
  readonly memoryMb: number;
  readonly maxMemoryMb?: number;
  /** Present only on a cold start. */
  readonly initMs?: number;
}

const FIELD = /(RequestId|Billed Duration|Init Duration|Duration|Memory Size|Max Memory Used):\s*(\S+)/g;

/** The REPORT line's fields, or undefined when the log has no complete REPORT line. */
export function parseReportLine(log: string): ReportLine | undefined {
  const start = log.lastIndexOf('REPORT RequestId:');
  if (start < 0) return undefined;
  const end = log.indexOf('\n', start);
  const line = log.slice(start, end < 0 ? undefined : end);
  const fields = new Map<string, string>();
  for (const match of line.matchAll(FIELD)) fields.set(match[1]!, match[2]!);
  const number = (key: string): number | undefined => {
    const value = fields.get(key);
    if (value === undefined || value === '') return undefined;
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  };
  const durationMs = number('Duration');
  const billedMs = number('Billed Duration');
  const memoryMb = number('Memory Size');
  if (durationMs === undefined || billedMs === undefined || memoryMb === undefined) return undefined;
  const maxMemoryMb = number('Max Memory Used');
  const initMs = number('Init Duration');
  const requestId = fields.get('RequestId');
  return {
    ...(requestId === undefined ? {} : { requestId }),
    durationMs,
    billedMs,
    memoryMb,
    ...(maxMemoryMb === undefined ? {} : { maxMemoryMb }),
    ...(initMs === undefined ? {} : { initMs }),
  };
}

/** Decodes X-Amz-Log-Result (base64) and parses it; tolerant of a missing or garbled tail. */
export function parseTailLog(logResult: string | undefined): ReportLine | undefined {
  if (logResult === undefined || logResult === '') return undefined;
  return parseReportLine(Buffer.from(logResult, 'base64').toString('utf8'));
}

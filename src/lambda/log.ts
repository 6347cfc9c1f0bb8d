/**
 * One structured JSON line per invocation on stdout, which CloudWatch stores
 * as-is. Only counts, timings and error messages: never image bytes, event
 * bodies or credentials.
 */
import type { EventKind } from './events.js';

export interface InvocationStats {
  readonly frames: number;
  readonly ok: number;
  readonly failed: number;
  readonly inferMs: number;
  readonly coldStart?: boolean;
  readonly initMs?: number;
  /** HTTP status for proxy events. */
  readonly status?: number;
  readonly error?: { readonly code: string; readonly message: string };
  /** Frames answered DEADLINE: the invocation stopped before its timeout without them. */
  readonly deadline?: number;
}

export interface InvocationLog extends InvocationStats {
  readonly requestId: string;
  readonly kind: EventKind;
  readonly durationMs: number;
}

export type LogSink = (line: string) => void;

const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Codes that mean the function, not the caller, is at fault. */
const SERVER_FAULTS = new Set(['MODEL_UNAVAILABLE', 'INTERNAL']);

let sink: LogSink = stdoutSink;

/** Tests capture log lines in memory; pass nothing to go back to stdout. */
export function setLogSink(next: LogSink = stdoutSink): void {
  sink = next;
}

export function logInvocation(entry: InvocationLog): void {
  const level = entry.error === undefined ? 'info' : SERVER_FAULTS.has(entry.error.code) ? 'error' : 'warn';
  sink(JSON.stringify({ level, message: 'framescore invocation', timestamp: new Date().toISOString(), ...entry }));
}

/** Where the model came from and whether /tmp already had it: the first thing to check on a slow cold start. */
export function logModelReady(details: { source: string; downloaded: boolean | undefined; loadMs: number; sha256: string; engine: string; fellBack?: string }): void {
  // Running on TF.js wasm instead of ONNX Runtime is ~10× the billed duration: a warning.
  sink(JSON.stringify({ level: details.fellBack === undefined ? 'info' : 'warn', message: 'framescore model ready', timestamp: new Date().toISOString(), ...details }));
}

export function logInitFailure(message: string): void {
  sink(JSON.stringify({ level: 'error', message: 'framescore model load failed during init', timestamp: new Date().toISOString(), error: message }));
}

export const NO_FRAMES: InvocationStats = { frames: 0, ok: 0, failed: 0, inferMs: 0 };

/** Rounds a duration for logs and responses; sub-0.1 ms detail is noise. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

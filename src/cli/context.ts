import type { Writable } from 'node:stream';
import type { Messages } from './output/messages.js';

/** What every command gets from main: streams, environment, messages and the Ctrl-C signal. */
export interface CommandContext {
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly messages: Messages;
  readonly signal: AbortSignal;
  readonly quiet: boolean;
  readonly verbose: boolean;
}

/** What a command reports back; main.ts alone turns it into an exit code. */
export type CommandStatus = 'ok' | 'failures' | 'bad-input' | 'interrupted' | 'checks-failed' | 'output-lost';

export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  'checks-failed': 1,
  'bad-input': 2,
  failures: 3,
  /** The run finished but an output could not be written where asked; it went to the temporary directory. */
  'output-lost': 4,
  interrupted: 130,
  /** SIGTERM: the partial report is written, as for Ctrl-C. */
  terminated: 143,
} as const;

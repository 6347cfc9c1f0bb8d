import type { Writable } from 'node:stream';
import type { Messages } from '../../run/events.js';

export type { Messages } from '../../run/events.js';

/** People's messages on stderr, always prefixed so they are easy to tell from ffmpeg's. */
export function createMessages(stderr: Writable, options: { quiet: boolean; verbose: boolean }): Messages {
  const write = (text: string): void => { stderr.write(`framescore: ${text}\n`); };
  return {
    info: (message) => { if (!options.quiet) write(message); },
    warn: (message) => { if (!options.quiet) write(`warning: ${message}`); },
    error: (message) => write(message),
    debug: (message) => { if (options.verbose) write(message); },
  };
}

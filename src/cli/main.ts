import { CommanderError } from 'commander';
import { ContractError, ImageDecodeError, InputError, ModelError, errorMessage } from '../core/errors.js';
import { EXIT_CODES, type CommandContext, type CommandStatus } from './context.js';
import { BackendUnavailableError, BinaryNotFoundError, UsageError } from './errors.js';
import { createMessages } from './output/messages.js';
import { OutputError } from '../report/output-files.js';
import { FunctionUnavailableError, LambdaConfigError } from '../run/fleet/errors.js';
import { buildProgram } from './program.js';

export interface MainIo {
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env?: NodeJS.ProcessEnv;
  /** Installs Ctrl-C handling on the process; tests running main in-process turn it off. */
  readonly handleSignals?: boolean;
}

/** The one place that decides exit codes. Returns the code; never calls process.exit on the normal path. */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  // framescore supports Node 20 on purpose; the AWS SDK's "needs Node 22" notice would be noise on every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const stdout = (io.stdout ?? process.stdout) as CommandContext['stdout'];
  const stderr = (io.stderr ?? process.stderr) as CommandContext['stderr'];
  const quiet = argv.includes('-q') || argv.includes('--quiet');
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  const messages = createMessages(stderr, { quiet, verbose });
  const abort = new AbortController();
  const context: CommandContext = { stdout, stderr, env: io.env ?? process.env, messages, signal: abort.signal, quiet, verbose };

  // SIGINT (Ctrl-C) ends with 130, SIGTERM with 143 (128 + the signal's number, as shells report them).
  let received: 'SIGINT' | 'SIGTERM' | undefined;
  const signalCode = (): number => (received === 'SIGTERM' ? EXIT_CODES.terminated : EXIT_CODES.interrupted);
  const onSignal = (name: 'SIGINT' | 'SIGTERM'): void => {
    if (abort.signal.aborted) {
      stderr.write(`framescore: ${name} again: stopping now\n`);
      process.exit(name === 'SIGTERM' ? EXIT_CODES.terminated : EXIT_CODES.interrupted);
    }
    received = name;
    const what = name === 'SIGTERM' ? 'terminated (SIGTERM)' : 'interrupted';
    stderr.write(`\nframescore: ${what}: finishing frames in flight and writing the partial report (${name === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C'} again to stop at once)\n`);
    abort.abort();
  };
  const onSigint = (): void => { onSignal('SIGINT'); };
  const onSigterm = (): void => { onSignal('SIGTERM'); };
  if (io.handleSignals !== false) {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
  }

  let status: Promise<CommandStatus> | undefined;
  try {
    const program = buildProgram(context, (result) => { status = result; });
    await program.parseAsync([...argv], { from: 'user' });
    if (status === undefined) return EXIT_CODES.ok; // --help, --version
    const settled = await status;
    return settled === 'interrupted' ? signalCode() : EXIT_CODES[settled];
  } catch (error) {
    return exitCodeFor(error, messages, verbose);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

function exitCodeFor(error: unknown, messages: ReturnType<typeof createMessages>, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // commander has already printed its message; help and version exit 0.
    return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES['bad-input'];
  }
  if (
    error instanceof UsageError || error instanceof InputError || error instanceof ModelError || error instanceof BinaryNotFoundError ||
    error instanceof BackendUnavailableError || error instanceof ImageDecodeError || error instanceof ContractError || error instanceof OutputError ||
    error instanceof FunctionUnavailableError || error instanceof LambdaConfigError
  ) {
    messages.error(errorMessage(error));
    if (verbose && error.cause) messages.error(`cause: ${errorMessage(error.cause)}`);
    return EXIT_CODES['bad-input'];
  }
  messages.error(`internal error: ${errorMessage(error)}${verbose ? '' : ' (run with --verbose for details)'}`);
  if (verbose && error instanceof Error && error.stack) messages.error(error.stack);
  return EXIT_CODES.internal;
}

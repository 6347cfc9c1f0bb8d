import type { CommandContext, CommandStatus } from '../context.js';
import { UsageError } from '../errors.js';

// Placeholder until this command lands; it says so instead of failing obscurely.
export async function smokeCommand(..._args: [...unknown[], CommandContext]): Promise<CommandStatus> {
  throw new UsageError('framescore smoke is not available in this build yet');
}

import type { CommandContext, CommandStatus } from '../context.js';
import { UsageError } from '../errors.js';

// Placeholder until this command lands; it says so instead of failing obscurely.
export async function modelPushCommand(..._args: [...unknown[], CommandContext]): Promise<CommandStatus> {
  throw new UsageError('framescore model-push is not available in this build yet');
}

import { InputError } from '../../core/errors.js';
import type { InputContext, OpenedInput } from '../input.js';

/** Placeholder until S3 input lands: says so plainly instead of failing obscurely. */
export async function openS3Video(uri: string, _context: InputContext): Promise<OpenedInput> {
  throw new InputError(`cannot read video "${uri}": s3:// inputs are not supported yet`);
}

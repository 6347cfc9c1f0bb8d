import type { Report } from '../../core/report.js';
import { UsageError } from '../errors.js';

// Placeholder until the HTML report lands; it says so instead of failing obscurely.
export async function writeHtmlReport(_report: Report, _file: string, _thumbnails: ReadonlyMap<number, Uint8Array>): Promise<string> {
  throw new UsageError('--html is not available in this build yet');
}

import type { CommandContext, CommandStatus } from '../context.js';
import { writeHtmlReport } from '../../report/html-report.js';
import { readJsonReport } from '../../report/html/read-report.js';

export interface ReportFlags {
  readonly html: string;
}

/**
 * Renders an existing JSON report as HTML. The JSON keeps no frames, so the
 * page has no thumbnails; decoding the video again would need the video, which
 * may have moved, and `classify --html` already embeds them.
 */
export async function reportCommand(file: string, flags: ReportFlags, context: CommandContext): Promise<CommandStatus> {
  const report = await readJsonReport(file);
  const written = await writeHtmlReport(report, flags.html, new Map());
  context.messages.info(`wrote ${written} (${report.frames.length} frames, no thumbnails: the JSON report does not keep frames)`);
  return 'ok';
}

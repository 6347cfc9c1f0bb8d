import type { FrameImage } from '../core/image-decode.js';
import type { Report } from '../core/report.js';
import { renderHtmlPage } from './html/page.js';
import { makeThumbnails } from './html/thumbnails.js';
import { writeOutputFile } from './output-files.js';

export interface HtmlReportOptions {
  /** ffmpeg for shrinking thumbnails (classify's --ffmpeg); else FFMPEG_PATH, PATH, the bundled one. */
  readonly ffmpeg?: string | undefined;
}

/**
 * Writes the self-contained HTML report. `frames` maps frame index to the
 * sampled JPEG; they are shrunk to small thumbnails and embedded. An empty map
 * (a report rendered from JSON) gives a page without thumbnails.
 * Returns the file written.
 */
export async function writeHtmlReport(report: Report, file: string, frames: ReadonlyMap<number, FrameImage>, options: HtmlReportOptions = {}): Promise<string> {
  await writeOutputFile(file, await renderHtmlReport(report, frames, options));
  return file;
}

/** The page writeHtmlReport writes, for callers that write it themselves (classify keeps it when the file cannot be written). */
export async function renderHtmlReport(report: Report, frames: ReadonlyMap<number, FrameImage>, options: HtmlReportOptions = {}): Promise<string> {
  return renderHtmlPage(report, await makeThumbnails(frames, { ffmpeg: options.ffmpeg }));
}

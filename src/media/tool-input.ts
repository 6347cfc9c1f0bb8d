import path from 'node:path';

const URL_INPUT = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * What ffmpeg and ffprobe are given to open `input`: a URL as it is, a local path as
 * `file:` and its absolute path, so a name like `-report.mp4` or `-i.mp4` can never be
 * read as an option, nor a name with a colon as a protocol. (ffmpeg's file protocol
 * takes the rest literally: no percent-decoding, so the path is not URL-encoded.)
 */
export function toolInput(input: string): string {
  if (URL_INPUT.test(input) || input.startsWith('file:') || input.startsWith('pipe:')) return input;
  return `file:${path.resolve(input)}`;
}

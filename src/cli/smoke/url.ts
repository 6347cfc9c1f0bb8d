import { UsageError } from '../errors.js';

/** Throws a UsageError naming the option unless value is an http(s) URL. */
export function checkHttpUrl(value: string, option: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${option} "${value}" is not a URL (expected https://...)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${option} "${value}" must be an http:// or https:// URL`);
  return url;
}

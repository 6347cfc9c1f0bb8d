import { ConfigError } from './errors.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** An S3 location given as s3://bucket/prefix/. */
export interface S3Location {
  readonly bucket: string;
  /** Key prefix, '' or ending in '/'. */
  readonly prefix: string;
}

/** The variable's value, or undefined when unset or empty. */
export function readEnv(name: string, env: Environment = process.env): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function requireEnv(name: string, env: Environment = process.env): string {
  const value = readEnv(name, env);
  if (value === undefined) throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

/** Parses an s3://bucket/prefix/ variable; a prefix without a trailing slash gets one. */
export function readS3UriEnv(name: string, env: Environment = process.env): S3Location | undefined {
  const value = readEnv(name, env);
  if (value === undefined) return undefined;
  const match = S3_URI.exec(value);
  if (!match) throw new ConfigError(`environment variable ${name}="${value}" is not an s3://bucket/prefix/ URI`);
  const raw = match[2] ?? '';
  return { bucket: match[1]!, prefix: raw === '' || raw.endsWith('/') ? raw : `${raw}/` };
}

/** Parses an http(s) URL variable, e.g. AWS_ENDPOINT_URL_S3. */
export function readUrlEnv(name: string, env: Environment = process.env): URL | undefined {
  const value = readEnv(name, env);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new ConfigError(`environment variable ${name}="${value}" is not a URL`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`environment variable ${name}="${value}" is not an http(s) URL`);
  return url;
}

/** Parses a directory path variable; must be absolute so it does not depend on the cwd. */
export function readDirEnv(name: string, env: Environment = process.env): string | undefined {
  const value = readEnv(name, env);
  if (value !== undefined && !value.startsWith('/')) throw new ConfigError(`environment variable ${name}="${value}" must be an absolute path`);
  return value;
}

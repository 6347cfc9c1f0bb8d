import { S3Client } from '@aws-sdk/client-s3';
import { InputError } from '../../core/errors.js';

/** The AWS options classify and model push share (as for Lambda). */
export interface S3Settings {
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
  /** --s3-endpoint; else AWS_ENDPOINT_URL_S3. */
  readonly s3Endpoint?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/**
 * S3 ignores the region for bucket lookup only up to a point: a request signed
 * for the wrong one is answered with a redirect that names the right one, which
 * describeS3Error turns into "use --region X". So a default is safe.
 */
const FALLBACK_REGION = 'us-east-1';

/** Endpoint in use: --s3-endpoint, else AWS_ENDPOINT_URL_S3, else AWS's own. */
export function s3Endpoint(settings: S3Settings): string | undefined {
  const env = settings.env ?? process.env;
  const value = settings.s3Endpoint ?? (env.AWS_ENDPOINT_URL_S3?.trim() || undefined);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`S3 endpoint "${value}" is not a URL (expected e.g. http://127.0.0.1:4569)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError(`S3 endpoint "${value}" is not an http(s) URL`);
  return url.href;
}

/** One client per command, created lazily so plain local runs never load the SDK's credential chain. */
export function createS3Client(settings: S3Settings): S3Client {
  const env = settings.env ?? process.env;
  const endpoint = s3Endpoint(settings);
  const region = settings.region ?? (env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined);
  // An explicit environment (tests, embedding) carries its own keys; else the SDK's chain reads process.env, profiles, SSO…
  const keys = settings.env !== undefined && settings.profile === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
    : undefined;
  return new S3Client({
    ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
    ...(keys !== undefined ? { credentials: keys } : {}),
    // With a profile, its configured region wins over the fallback.
    region: region ?? (settings.profile !== undefined || env.AWS_PROFILE ? regionFromProfileOr(FALLBACK_REGION, settings.profile) : FALLBACK_REGION),
    // S3-compatible stores (MinIO, s3rver, LocalStack) are addressed by path, not virtual host.
    ...(endpoint !== undefined ? { endpoint, forcePathStyle: true } : {}),
    // S3-compatible stores often lack the newer default checksums (s3rver stores an
    // aws-chunked upload body verbatim), and GETs do not need them: sha256s guard models.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

/** The profile's region (from ~/.aws/config), or the fallback when it sets none. */
function regionFromProfileOr(fallback: string, profile: string | undefined): () => Promise<string> {
  let region: Promise<string> | undefined;
  return () => {
    region ??= (async () => {
      const probe = new S3Client(profile !== undefined ? { profile } : {});
      try {
        return await probe.config.region();
      } catch {
        return fallback;
      } finally {
        probe.destroy();
      }
    })();
    return region;
  };
}

import { errorMessage } from '../../core/errors.js';

/** What went wrong talking to S3, in words a person can act on (no URLs, which may be presigned). */
export function describeS3Error(error: unknown, context: { endpoint?: string | undefined } = {}): string {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const region = bucketRegion(error);

  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(errorMessage(error))) {
    return `no AWS credentials (${firstLine(errorMessage(error))}): set AWS_PROFILE or --profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`;
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code) || name === 'TimeoutError') {
    return `cannot reach S3${context.endpoint ? ` at ${context.endpoint}` : ''} (${code || name})`;
  }
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || (status === 400 && region !== undefined)) {
    return `wrong region: the bucket is in ${region ?? 'another region'}${region ? `: pass --region ${region}` : ': pass --region'}`;
  }
  if (name === 'NoSuchBucket') return 'no such bucket';
  if (name === 'NoSuchKey') return 'no such key';
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'ExpiredToken' || name === 'TokenRefreshRequired') {
    return `the AWS credentials were rejected (${name})`;
  }
  if (status === 403 || name === 'AccessDenied' || name === 'Forbidden') return 'access denied';
  if (status === 404) return 'not found';
  return `S3 error ${name || 'unknown'}${status ? ` (HTTP ${status})` : ''}: ${firstLine(errorMessage(error))}`;
}

/** Whether the error means "this object (or bucket) does not exist". */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status === 404 || name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket';
}

/** S3 names the bucket's region in a header on redirects and region errors. */
function bucketRegion(error: unknown): string | undefined {
  const response = (error as { $response?: { headers?: Record<string, string | undefined> } } | undefined)?.$response;
  const fromHeader = response?.headers?.['x-amz-bucket-region'];
  if (fromHeader) return fromHeader;
  const fromBody = (error as { Region?: unknown } | undefined)?.Region;
  return typeof fromBody === 'string' && fromBody !== '' ? fromBody : undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

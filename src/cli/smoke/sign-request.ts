import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/**
 * SigV4 headers for a POST to a Function URL (service "lambda") or an API
 * Gateway URL (service "execute-api"): the stack in infra/ puts both behind
 * IAM auth, where an unsigned request gets 403. Returned headers include
 * those given; `host` is left to fetch, which sends the same value.
 */
export async function signedHeaders(url: URL, body: string, headers: Readonly<Record<string, string>>, credentials: SigningCredentials, region: string, signingDate?: Date): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: signingService(url), region, credentials, sha256: NodeSha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...headers, host: url.host },
    body,
  }, signingDate === undefined ? {} : { signingDate });
  const { host: _host, ...rest } = signed.headers;
  return rest;
}

export function signingService(url: URL): 'lambda' | 'execute-api' {
  return /\.execute-api\./.test(url.hostname) ? 'execute-api' : 'lambda';
}

/** <id>.lambda-url.REGION.on.aws and <id>.execute-api.REGION.amazonaws.com name their region. */
export function regionOfUrl(url: URL): string | undefined {
  return /\.(?:lambda-url|execute-api)\.([a-z0-9-]+)\.(?:on\.aws|amazonaws\.com)$/.exec(url.hostname)?.[1];
}

type Data = string | ArrayBuffer | ArrayBufferView;

/** The hash SignatureV4 needs, from node:crypto (sha256, or HMAC-sha256 with a key). */
class NodeSha256 {
  private readonly secret: Data | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: Data) {
    this.secret = secret;
    this.hash = NodeSha256.start(secret);
  }

  update(data: Data): void {
    this.hash.update(bytes(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = NodeSha256.start(this.secret);
  }

  private static start(secret: Data | undefined): Hash | Hmac {
    return secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
}

function bytes(data: Data): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

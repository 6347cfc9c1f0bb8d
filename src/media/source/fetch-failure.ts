/**
 * Why a fetch() failed, for one line a person can act on. undici throws a
 * bare `TypeError: fetch failed`; the reason sits in its `cause` (an errno
 * error, an AggregateError of one per address tried, or an undici error with
 * a UND_ERR_* code), sometimes a level deeper.
 */
const WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'the connection closed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPROTO: 'TLS handshake failed',
};

interface Failure { readonly code?: unknown; readonly name?: unknown; readonly message?: unknown; readonly cause?: unknown; readonly errors?: unknown }

/** e.g. "connection refused (ECONNREFUSED)", "no answer in 15 s", "bad port". */
export function describeFetchFailure(error: unknown, timeoutMs?: number): string {
  const chain: Failure[] = [];
  for (let at: unknown = error; typeof at === 'object' && at !== null && chain.length < 8; at = (at as Failure).cause) chain.push(at as Failure);
  if (chain.some((link) => link.name === 'TimeoutError')) return timeoutMs === undefined ? 'no answer in time' : `no answer in ${timeoutMs / 1000} s`;
  if (chain.some((link) => link.name === 'AbortError')) return 'cancelled';
  const codes: string[] = [];
  for (const link of chain) {
    if (typeof link.code === 'string') codes.push(link.code);
    if (Array.isArray(link.errors)) for (const inner of link.errors as Failure[]) if (typeof inner?.code === 'string') codes.push(inner.code);
  }
  const code = codes.find((candidate) => WORDS[candidate] !== undefined) ?? codes[0];
  if (code !== undefined) return WORDS[code] === undefined ? code : `${WORDS[code]} (${code})`;
  // No code anywhere: the innermost message ("bad port", "invalid method") says more than "fetch failed".
  const innermost = chain.at(-1);
  if (innermost?.message === 'bad port') return 'a port fetch refuses to use (bad port)';
  return typeof innermost?.message === 'string' && innermost.message !== '' ? innermost.message : String(error);
}

/** The errno-style code of a fetch failure, if any (for TLS checks that match on it). */
export function fetchFailureCode(error: unknown): string | undefined {
  for (let at: unknown = error, depth = 0; typeof at === 'object' && at !== null && depth < 8; at = (at as Failure).cause, depth += 1) {
    const code = (at as Failure).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { describeFetchFailure } from '../../src/media/source/fetch-failure.js';

/** A port that was just free: nothing listens on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failureOf(url: string, init?: RequestInit): Promise<unknown> {
  try {
    await fetch(url, init);
  } catch (error) {
    return error;
  }
  assert.fail(`${url} answered`);
}

describe('describeFetchFailure: the reason behind undici\'s "fetch failed"', () => {
  it('names a refused connection from the real fetch error', async () => {
    const error = await failureOf(`https://127.0.0.1:${await closedPort()}/x`);
    assert.equal((error as Error).name, 'TypeError', 'undici hides the reason in cause');
    assert.equal(describeFetchFailure(error), 'connection refused (ECONNREFUSED)');
  });

  it('says a timeout in seconds, and what fetch refuses to dial', async () => {
    const error = await failureOf(`https://127.0.0.1:${await closedPort()}/x`, { signal: AbortSignal.abort(new DOMException('timed out', 'TimeoutError')) });
    assert.equal(describeFetchFailure(error, 15_000), 'no answer in 15 s');
    assert.equal(describeFetchFailure(await failureOf('https://127.0.0.1:1/x')), 'a port fetch refuses to use (bad port)');
  });

  it('looks into AggregateErrors (one error per address tried) and deeper causes', () => {
    const aggregate = Object.assign(new AggregateError([Object.assign(new Error('connect ETIMEDOUT ::1:443'), { code: 'ETIMEDOUT' })], ''), {});
    assert.equal(describeFetchFailure(new TypeError('fetch failed', { cause: aggregate })), 'connection timed out (ETIMEDOUT)');
    const deep = new TypeError('fetch failed', { cause: new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }) }) });
    assert.equal(describeFetchFailure(deep), 'host unreachable (EHOSTUNREACH)');
    assert.equal(describeFetchFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('odd'), { code: 'EWHATEVER' }) })), 'EWHATEVER');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapBounded } from '../../src/core/bounded-map.js';

describe('mapBounded', () => {
  it('never runs more than the limit at once and yields every result', async () => {
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    for await (const value of mapBounded(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
      active += 1;
      peak = Math.max(peak, active);
      await sleep(5 + (i % 4) * 3);
      active -= 1;
      return i * 2;
    })) seen.push(value);
    assert.equal(peak, 3);
    assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it('stops starting work while results wait to be consumed (back-pressure)', async () => {
    let started = 0;
    const iterator = mapBounded(Array.from({ length: 100 }, (_, i) => i), 2, async (i) => { started += 1; return i; });
    await iterator.next();
    await sleep(20);
    assert.ok(started <= 5, `started ${started} tasks while the consumer held one result`);
    await iterator.return(undefined);
  });

  it('stops launching when the signal aborts', async () => {
    const controller = new AbortController();
    const done: number[] = [];
    for await (const value of mapBounded(Array.from({ length: 50 }, (_, i) => i), 2, async (i) => { await sleep(2); return i; }, controller.signal)) {
      done.push(value);
      if (done.length === 4) controller.abort();
    }
    assert.ok(done.length < 10, `${done.length} results after abort`);
  });

  it('rethrows a failure after in-flight work settles', async () => {
    await assert.rejects(async () => {
      for await (const _ of mapBounded([1, 2, 3], 2, async (i) => { if (i === 2) throw new Error('boom'); return i; })) { /* drain */ }
    }, /boom/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { formatTimecode, parseTime, parseTimeList } from '../../src/core/timestamps.js';

describe('timestamps', () => {
  it('parses seconds and clocks', () => {
    assert.equal(parseTime('12.5'), 12.5);
    assert.equal(parseTime('00:01:03.200'), 63.2);
    assert.equal(parseTime('01:03.2'), 63.2);
    assert.equal(parseTime('1:00:00'), 3600);
    assert.deepEqual(parseTimeList('12.5, 00:01:03.200,7'), [12.5, 63.2, 7]);
  });

  it('rejects what is not a time, naming the input', () => {
    for (const bad of ['', 'abc', '-3', '00:61:00', '1:2:3:4', '12s']) {
      assert.throws(() => parseTime(bad, '--start'), (error: unknown) => error instanceof InputError && error.message.includes('--start') && error.message.includes(`"${bad}"`));
    }
    assert.throws(() => parseTimeList(' , '), InputError);
  });

  it('formats timecodes with milliseconds', () => {
    assert.equal(formatTimecode(0), '00:00:00.000');
    assert.equal(formatTimecode(63.2), '00:01:03.200');
    assert.equal(formatTimecode(3725.0004), '01:02:05.000');
  });
});

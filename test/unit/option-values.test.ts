import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/errors.js';
import { parseFormats, parseInteger, parseSampling } from '../../src/cli/option-values.js';

describe('option values', () => {
  it('parses sampling modes', () => {
    assert.deepEqual(parseSampling({}).mode, { kind: 'count', frames: 150 });
    assert.deepEqual(parseSampling({ every: '2.5' }).mode, { kind: 'every', seconds: 2.5 });
    assert.deepEqual(parseSampling({ at: '1,00:00:02.5' }).mode, { kind: 'at', times: [1, 2.5] });
    assert.deepEqual(parseSampling({ scenes: true, frames: '20' }).mode, { kind: 'scenes', threshold: 0.3, maxFrames: 20 });
    assert.deepEqual(parseSampling({ scenes: '0.5' }).mode, { kind: 'scenes', threshold: 0.5, maxFrames: 150 });
    assert.equal(parseSampling({ keyframes: true, start: '10', end: '00:00:20' }).end, 20);
  });

  it('refuses conflicting or nonsense values with the option named', () => {
    const cases: Array<[Parameters<typeof parseSampling>[0], RegExp]> = [
      [{ every: '2', at: '3' }, /--every and --at/],
      [{ frames: '10', every: '2' }, /--frames cannot be used with --every/],
      [{ frames: '0' }, /--frames "0"/],
      [{ frames: 'ten' }, /--frames "ten"/],
      [{ every: '-1' }, /--every "-1"/],
      [{ scenes: '2' }, /--scenes "2"/],
      [{ start: '20', end: '10' }, /--end "10" must be after --start "20"/],
    ];
    for (const [flags, message] of cases) assert.throws(() => parseSampling(flags), (error: unknown) => message.test((error as Error).message), JSON.stringify(flags));
  });

  it('parses formats and integers', () => {
    assert.deepEqual(parseFormats('csv,json,csv'), ['csv', 'json']);
    assert.throws(() => parseFormats('csv,xml'), UsageError);
    assert.equal(parseInteger('4', '--workers', 1, 64), 4);
    assert.throws(() => parseInteger('4.5', '--workers', 1, 64), /--workers "4.5"/);
  });
});

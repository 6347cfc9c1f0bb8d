/** Pieces of the HTML report that need no browser: escaping, thumbnails, generic run facts, axis and lane layout. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { laneFrames, tickStep } from '../../src/cli/output/html/chart-geometry.js';
import { escapeHtml, jsonForScript } from '../../src/cli/output/html/escape.js';
import { flattenFacts, formatClock, formatMs } from '../../src/cli/output/html/format.js';
import { makeThumbnails, THUMBNAIL_WIDTH } from '../../src/cli/output/html/thumbnails.js';
import { tempDir } from './cli.js';

test('escapeHtml leaves no markup characters', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
});

test('jsonForScript cannot close its script element and parses back to the same value', () => {
  const value = { name: '</script><script>alert(1)</script>', comment: '<!-- x -->', separators: 'a\u2028b\u2029c', amp: 'a&b' };
  const text = jsonForScript(value);
  assert.doesNotMatch(text, /<|>|\u2028|\u2029/);
  assert.deepEqual(JSON.parse(text), value);
});

test('thumbnails are small JPEGs at THUMBNAIL_WIDTH; a frame that does not decode just has none', async () => {
  const dir = await tempDir('thumbs');
  try {
    const file = path.join(dir, 'frame.jpg');
    await promisify(execFile)('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=224x224', '-frames:v', '1', file]);
    const frame = new Uint8Array(await readFile(file));
    const thumbnails = makeThumbnails(new Map([[0, frame], [1, new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2])]]));
    assert.deepEqual([...thumbnails.keys()], [0]);
    const bytes = Buffer.from(thumbnails.get(0)!.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    const decoded = jpeg.decode(bytes, { useTArray: true });
    assert.deepEqual([decoded.width, decoded.height], [THUMBNAIL_WIDTH, THUMBNAIL_WIDTH]);
    assert.ok(bytes.length < frame.length, `${bytes.length} < ${frame.length}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('run facts a scorer adds are listed whatever their shape, with money and durations formatted', () => {
  const rows = flattenFacts('', { coldStarts: 3, retries: { throttled: 2, timeouts: 0 }, estimatedCostUsd: 0.001234, invokeP95Ms: 1830, regions: ['us-east-1'], warm: true });
  assert.deepEqual(rows, [
    ['cold starts', '3'],
    ['retries › throttled', '2'],
    ['retries › timeouts', '0'],
    ['estimated cost usd', '$0.00123'],
    ['invoke p95 ms', '1.8 s'],
    ['regions', 'us-east-1'],
    ['warm', 'yes'],
  ]);
});

test('time axis ticks and labels', () => {
  assert.equal(tickStep(24), 5);
  assert.equal(tickStep(1800), 300);
  assert.equal(tickStep(3), 0.5);
  assert.equal(formatClock(3725), '1:02:05');
  assert.equal(formatClock(65), '1:05');
  assert.equal(formatMs(450), '450 ms');
  assert.equal(formatMs(185_000), '3 min 5 s');
});

test('the thumbnail lane keeps thumbnails from overlapping, leftmost first', () => {
  const positions = [0, 10, 20, 70, 75, 200].map((x, index) => ({ index, x: 100 + x }));
  assert.deepEqual(laneFrames(positions, 56), [0, 3, 5]);
});

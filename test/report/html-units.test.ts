/** Pieces of the HTML report that need no browser: escaping, thumbnails, generic run facts, axis and lane layout. */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { laneFrames, tickStep } from '../../src/report/html/chart-geometry.js';
import { escapeHtml, jsonForScript } from '../../src/report/html/escape.js';
import { flattenFacts, formatClock, formatMs } from '../../src/report/html/format.js';
import { makeThumbnails, THUMBNAIL_WIDTH } from '../../src/report/html/thumbnails.js';
import { runFfmpeg } from '../helpers/ffmpeg.js';
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

test('thumbnails are small JPEGs at THUMBNAIL_WIDTH, one per frame, in frame order', async () => {
  const dir = await tempDir('thumbs');
  try {
    const frames = new Map<number, Uint8Array>();
    for (const [index, pattern] of [[7, 'testsrc2'], [3, 'smptebars'], [12, 'mandelbrot']] as const) {
      const file = path.join(dir, `${pattern}.jpg`);
      await runFfmpeg(['-f', 'lavfi', '-i', `${pattern}=size=224x224`, '-frames:v', '1', '-q:v', '2', file]);
      frames.set(index, new Uint8Array(await readFile(file)));
    }
    const thumbnails = await makeThumbnails(frames);
    assert.deepEqual([...thumbnails.keys()], [7, 3, 12]);
    const decoded = [...thumbnails.entries()].map(([index, uri]) => {
      const bytes = Buffer.from(uri.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
      assert.ok(bytes.length < frames.get(index)!.length, `${bytes.length} bytes for frame ${index}`);
      return jpeg.decode(bytes, { useTArray: true });
    });
    for (const image of decoded) assert.deepEqual([image.width, image.height], [THUMBNAIL_WIDTH, THUMBNAIL_WIDTH]);
    // Each thumbnail is its own frame (the bars are mostly grey-white at the top left, the Mandelbrot set dark blue there).
    const corner = (image: { data: Uint8Array }): number => image.data[0]! + image.data[1]! + image.data[2]!;
    assert.notEqual(corner(decoded[1]!), corner(decoded[2]!));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('without a working ffmpeg the frames are embedded as they are', async () => {
  const frame = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
  const thumbnails = await makeThumbnails(new Map([[0, frame]]), { ffmpeg: '/nonexistent/ffmpeg' });
  assert.equal(thumbnails.get(0), `data:image/jpeg;base64,${Buffer.from(frame).toString('base64')}`);
  assert.equal((await makeThumbnails(new Map())).size, 0);
});

test('run facts a scorer adds are listed whatever their shape, with money and durations formatted', () => {
  const rows = flattenFacts('', {
    lambda: { coldStarts: 3, retries: 2, initMs: { count: 3, p50: 812.4 }, latencyMs: { p50: 420, p95: 1830, max: null }, cost: { usd: 0.001234, perRequest: 0.0000002, note: 'from REPORT lines' }, executedVersions: ['7'] },
    warm: true,
    resumedFrames: 12,
  });
  assert.deepEqual(rows, [
    ['lambda › cold starts', '3'],
    ['lambda › retries', '2'],
    ['lambda › init ms › count', '3'],
    ['lambda › init ms › p50', '812 ms'],
    ['lambda › latency ms › p50', '420 ms'],
    ['lambda › latency ms › p95', '1.8 s'],
    ['lambda › latency ms › max', '–'],
    ['lambda › cost › usd', '$0.00123'],
    ['lambda › cost › per request', '$0.000000200'],
    ['lambda › cost › note', 'from REPORT lines'],
    ['lambda › executed versions', '7'],
    ['warm', 'yes'],
    ['resumed frames', '12'],
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

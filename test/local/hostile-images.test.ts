/**
 * Image bombs through the CLI as users run it: a few dozen bytes declaring
 * gigapixels must be refused from the header (exit 2, one line), not decoded.
 * Memory is the process's own peak (VmHWM, worker threads included), written
 * by a preload when it exits: decoding 30000×30000 would take gigabytes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { gifBomb, jpegBomb, pngBomb, tiffBomb } from '../helpers/image-bombs.js';

let work: string;
let preload: string;
before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'framescore-bombs-'));
  preload = path.join(work, 'peak-memory.cjs');
  await writeFile(preload, `process.on('exit', () => {
  const status = require('node:fs').readFileSync('/proc/self/status', 'utf8');
  require('node:fs').writeFileSync(process.env.PEAK_MEMORY_FILE, /VmHWM:\\s*(\\d+)/.exec(status)[1]);
});\n`);
});
after(async () => { await rm(work, { recursive: true, force: true }); });

/** Runs classify on the file; returns the result and the process's peak resident memory in MB. */
async function classify(file: string, args: string[] = ['--local']): Promise<{ code: number | null; stderr: string; peakMb: number }> {
  const peakFile = path.join(work, `${path.basename(file)}.peak`);
  const result = await runCli(['classify', ...args, file, '--out', path.join(work, 'report')], {
    env: { NODE_OPTIONS: `--require ${preload}`, PEAK_MEMORY_FILE: peakFile },
  });
  const peakMb = Number(await readFile(peakFile, 'utf8')) / 1024;
  return { code: result.code, stderr: result.stderr, peakMb };
}

describe('image bombs: refused from the declared size, before any decoder or ffprobe', () => {
  const cases = [
    { name: 'bomb.png', bytes: pngBomb(30000, 30000), size: '30000×30000' },
    { name: 'bomb.jpg', bytes: jpegBomb(30000, 30000), size: '30000×30000' },
    { name: 'progressive.jpg', bytes: jpegBomb(60000, 60000, 0xc2), size: '60000×60000' },
    // GIFs and TIFFs (as BMP and WebP) are decoded by ffmpeg, not by the pure-JS decoders.
    { name: 'bomb.gif', bytes: gifBomb(65535, 65535), size: '65535×65535' },
    { name: 'bomb.tif', bytes: tiffBomb(30000, 30000), size: '30000×30000' },
  ];
  for (const { name, bytes, size } of cases) {
    it(`${name} (${bytes.length} bytes declaring ${size}): exit 2, one line, small peak memory`, async () => {
      const file = path.join(work, name);
      await writeFile(file, bytes);
      const result = await classify(file);
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.equal(lines[0], `framescore: cannot read image "${file}": it declares ${size} pixels (${((Number(size.split('×')[0]) * Number(size.split('×')[1])) / 1e6).toFixed(1)} megapixels); the limit is 40 megapixels and 16384 pixels a side`);
      assert.ok(result.peakMb < 200, `peak memory ${result.peakMb.toFixed(0)} MB`);
    });
  }

  it('a PNG that declares its own real size still scores (the guard reads headers, it does not refuse stills)', async () => {
    const file = path.join(work, 'real.png');
    const { ROOT } = await import('../helpers/cli.js');
    await writeFile(file, await readFile(path.join(ROOT, 'test', 'fixtures', 'photos', 'astronaut-224.png')));
    const result = await classify(file);
    assert.equal(result.code, 0, result.stderr);
  });
});

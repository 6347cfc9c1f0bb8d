import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeImage, sniffImage } from '../../src/core/image-decode.js';
import type { Report } from '../../src/core/report.js';
import { runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/videos.js';

let out: string;
before(async () => { out = await mkdtemp(path.join(os.tmpdir(), 'framescore-sample-')); });
after(async () => { await rm(out, { recursive: true, force: true }); });

interface Row { index: number; requested: number; actual: number | null; timecode: string; file: string; status: string; error: string }

/** frames.csv back into rows (the test videos' errors hold no commas). */
async function readFramesCsv(dir: string): Promise<Row[]> {
  const [header, ...lines] = (await readFile(path.join(dir, 'frames.csv'), 'utf8')).trimEnd().split('\n');
  assert.equal(header, 'index,requested_s,actual_s,timecode,file,status,error');
  return lines.map((line) => {
    const [index, requested, actual, timecode, file, status, ...error] = line.split(',');
    return { index: Number(index), requested: Number(requested), actual: actual === '' ? null : Number(actual), timecode: timecode!, file: file!, status: status!, error: error.join(',') };
  });
}

describe('framescore sample (the CLI as a subprocess)', () => {
  it('writes PNGs at --size and a frames.csv whose times equal classify\'s', async () => {
    const video = await fixture('h264.mp4');
    const dir = path.join(out, 'every');
    const result = await runCli(['sample', video, '--every', '1', '--size', '160x96', '--out-dir', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /8\/8 frames written; wrote/);
    const rows = await readFramesCsv(dir);
    assert.equal(rows.length, 8);
    const classified = await runCli(['classify', video, '--local', '--every', '1', '--format', 'json', '-o', '-', '-q']);
    assert.equal(classified.code, 0, classified.stderr);
    const report = JSON.parse(classified.stdout) as Report;
    assert.deepEqual(rows.map((row) => [row.index, row.requested, row.actual]), report.frames.map((frame) => [frame.index, frame.requestedTime, frame.actualTime]));
    const files = (await readdir(dir)).filter((name) => name.endsWith('.png')).sort();
    assert.deepEqual(files, rows.map((row) => row.file));
    for (const row of rows) {
      assert.equal(row.status, 'ok');
      assert.match(row.file, /^frame-\d{5}-\d\d-\d\d-\d\d\.\d{3}\.png$/);
      const image = decodeImage(new Uint8Array(await readFile(path.join(dir, row.file))));
      assert.deepEqual([image.width, image.height], [160, 96]);
    }
  });

  it('writes JPEGs with --format jpeg, at the default 224x224', async () => {
    const dir = path.join(out, 'jpeg');
    const result = await runCli(['sample', await fixture('h264.mkv'), '--frames', '3', '--format', 'jpeg', '--out-dir', dir, '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const rows = await readFramesCsv(dir);
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.match(row.file, /\.jpg$/);
      const bytes = new Uint8Array(await readFile(path.join(dir, row.file)));
      assert.equal(sniffImage(bytes), 'jpeg');
      const image = decodeImage(bytes);
      assert.deepEqual([image.width, image.height], [224, 224]);
    }
  });

  it('takes keyframes with --keyframes and exact times with --at', async () => {
    const video = await fixture('h264.mp4');
    const keyframes = path.join(out, 'keyframes');
    const k = await runCli(['sample', video, '--at', '1.5,3.7', '--keyframes', '--out-dir', keyframes, '-q']);
    assert.equal(k.code, 0, k.stderr);
    // A keyframe every second: each frame is the keyframe at or before its time.
    assert.deepEqual((await readFramesCsv(keyframes)).map((row) => [row.requested, row.actual]), [[1.5, 1], [3.7, 3]]);
    const exact = path.join(out, 'at');
    const a = await runCli(['sample', video, '--at', '1.5,00:00:03.700', '--out-dir', exact, '-q']);
    assert.equal(a.code, 0, a.stderr);
    const rows = await readFramesCsv(exact);
    assert.deepEqual(rows.map((row) => row.requested), [1.5, 3.7]);
    for (const row of rows) assert.ok(row.actual !== null && row.actual >= row.requested - 1e-3 && row.actual - row.requested < 0.04 + 1e-3);
  });

  it('samples HEVC in MPEG-TS through its index, and by the seek, with the pixels of the MP4 it was copied from', async () => {
    const times = '0.4,1.04,3.52';
    const png = async (dir: string): Promise<string[]> => Promise.all((await readFramesCsv(dir)).map(async (row) => (await readFile(path.join(dir, row.file))).toString('base64')));
    const reference = path.join(out, 'hevc-mp4');
    assert.equal((await runCli(['sample', await fixture('hevc.mp4'), '--at', times, '--out-dir', reference, '-q'])).code, 0);
    for (const sampler of ['auto', 'indexed', 'seek']) {
      const dir = path.join(out, `hevc-ts-${sampler}`);
      const result = await runCli(['sample', await fixture('hevc.ts'), '--at', times, '--sampler', sampler, '--verbose', '--out-dir', dir]);
      assert.equal(result.code, 0, result.stderr);
      if (sampler !== 'seek') assert.match(result.stderr, /indexed \d+ frames \(MPEG-TS, hevc\)/);
      assert.doesNotMatch(result.stderr, /took the per-frame seek/);
      assert.deepEqual(await png(dir), await png(reference), `--sampler ${sampler}: the same pictures`);
    }
  });

  it('exits 3 on a truncated file and lists the failed frames with no file', async () => {
    const dir = path.join(out, 'truncated');
    const result = await runCli(['sample', await fixture('truncated.mp4'), '--frames', '10', '--out-dir', dir]);
    assert.equal(result.code, 3, result.stderr);
    const rows = await readFramesCsv(dir);
    assert.equal(rows.length, 10);
    const failed = rows.filter((row) => row.status === 'failed');
    assert.ok(failed.length > 0 && failed.length < 10, `${failed.length} failed`);
    for (const row of failed) {
      assert.equal(row.file, '');
      assert.equal(row.actual, null);
      assert.match(row.error, /^[A-Z_]+: /);
    }
    const pngs = (await readdir(dir)).filter((name) => name.endsWith('.png'));
    assert.equal(pngs.length, 10 - failed.length);
  });

  it('exits 2 with one line for a missing file', async () => {
    const missing = path.join(out, 'no-such.mp4');
    const result = await runCli(['sample', missing, '--out-dir', path.join(out, 'missing')]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /no-such\.mp4.*no such file/);
  });

  it('gives several inputs a subdirectory each, named as classify names their reports', async () => {
    const dir = path.join(out, 'several');
    const video = await fixture('h264.mp4');
    const base = path.basename(video, '.mp4');
    const still = path.basename(await fixture('still.jpg'), '.jpg');
    // The same name twice: the second gets -2, as a second report of that name would.
    const result = await runCli(['sample', video, await fixture('still.jpg'), video, '--frames', '2', '--out-dir', dir, '-q']);
    assert.equal(result.code, 0, result.stderr);
    const subdirs = (await readdir(dir)).sort();
    assert.deepEqual(subdirs, [base, `${base}-2`, still].sort());
    for (const sub of subdirs) {
      const rows = await readFramesCsv(path.join(dir, sub));
      assert.equal(rows.length, sub.endsWith('still') ? 1 : 2);
      for (const row of rows) assert.equal(row.status, 'ok');
    }
  });
});

/**
 * Files nobody here tuned for (a single keyframe, intra refresh, Matroska/WebM without a
 * duration, VFR with long gaps and an early last frame, names that look like options),
 * sampled by the CLI with every sampler and checked frame by frame against one full
 * ffmpeg decode: the same time, the same pixels.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdtemp, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { resolveBinaries } from '../../src/media/binaries.js';
import { decodeImage } from '../../src/core/image-decode.js';
import { runProcess } from '../../src/media/process.js';
import { runCli } from '../helpers/cli.js';
import { decodeWhole, expectedFrame, maxPixelDifference, type OracleFrame } from '../helpers/edge-oracle.js';

const { ffmpeg, ffprobe } = resolveBinaries();
const SIZE = 64;
const SAMPLERS = ['auto', 'seek', 'sequential', 'indexed'] as const;
let dir: string;

async function make(name: string, args: readonly string[], output = name): Promise<string> {
  await runProcess(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', ...args, path.join(dir, output)], { timeoutMs: 600_000 });
  return path.join(dir, name);
}

/** A live recorder's Matroska/WebM: written to a pipe, so the header has no duration. */
async function makeLive(name: string, codec: readonly string[], format: string): Promise<string> {
  const { stdout } = await runProcess(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '4', ...codec, '-f', format, '-live', '1', 'pipe:1'], { timeoutMs: 600_000 });
  const file = path.join(dir, name);
  await writeFile(file, stdout);
  return file;
}

/**
 * Gives the last frame of an MP4 (moov after mdat, one track) a long display time, so the
 * track lasts `seconds` while its last frame stays where it was (a VFR phone recording's shape).
 */
async function stretchLastFrame(file: string, seconds: number): Promise<void> {
  let b = await readFile(file);
  const find = (name: string): number => b.indexOf(Buffer.from(name));
  assert.ok(find('moov') > find('mdat'), 'moov after mdat: growing it moves no sample');
  const scale = b.readUInt32BE(find('mdhd') + 16);
  const total = b.readUInt32BE(find('mdhd') + 20);
  const stts = find('stts');
  const count = b.readUInt32BE(stts + 8);
  const last = stts + 12 + (count - 1) * 8;
  const delta = b.readUInt32BE(last + 4) + Math.round(seconds * scale) - total;
  if (b.readUInt32BE(last) > 1) {
    b.writeUInt32BE(b.readUInt32BE(last) - 1, last);
    b.writeUInt32BE(count + 1, stts + 8);
    const entry = Buffer.alloc(8);
    entry.writeUInt32BE(1, 0);
    entry.writeUInt32BE(delta, 4);
    b = Buffer.concat([b.subarray(0, last + 8), entry, b.subarray(last + 8)]);
    for (const name of ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stts']) {
      const at = find(name) - 4;
      b.writeUInt32BE(b.readUInt32BE(at) + 8, at);
    }
  } else {
    b.writeUInt32BE(delta, last + 4);
  }
  b.writeUInt32BE(Math.round(seconds * scale), find('mdhd') + 20);
  const mvhd = find('mvhd');
  const movieScale = b.readUInt32BE(mvhd + 16);
  b.writeUInt32BE(Math.round(seconds * movieScale), mvhd + 20);
  b.writeUInt32BE(Math.round(seconds * movieScale), find('tkhd') + 24);
  const elst = find('elst');
  if (elst > 0) b.writeUInt32BE(Math.round(seconds * movieScale), elst + 12);
  await writeFile(file, b);
}

interface Row { readonly requested: number; readonly actual: number | undefined; readonly status: string; readonly error: string; readonly pixels: Buffer | undefined }

async function sample(file: string, args: readonly string[], cwd?: string): Promise<{ code: number | null; stderr: string; rows: Row[] }> {
  const out = await mkdtemp(path.join(dir, 'out-'));
  const result = await runCli(['sample', '--out-dir', out, '--size', `${SIZE}x${SIZE}`, '--format', 'png', ...args, '--', file], { cwd });
  const csv = await readFile(path.join(out, 'frames.csv'), 'utf8').catch(() => '');
  const rows: Row[] = [];
  for (const line of csv.trim().split('\n').slice(1)) {
    const [, requested, actual, , image, status, ...error] = line.split(',');
    rows.push({
      requested: Number(requested), actual: actual ? Number(actual) : undefined, status: status ?? '', error: error.join(','),
      pixels: image ? Buffer.from(decodeImage(await readFile(path.join(out, image))).data) : undefined,
    });
  }
  return { code: result.code, stderr: result.stderr, rows };
}

/** Every frame equals the oracle's frame for its time: same time, same pixels. */
function assertMatches(rows: readonly Row[], oracle: readonly OracleFrame[], keyframes: boolean, what: string): void {
  for (const row of rows) {
    assert.equal(row.status, 'ok', `${what} at ${row.requested}: ${row.error}`);
    const expected = expectedFrame(oracle, row.requested, keyframes);
    assert.ok(expected, `${what}: the full decode has a frame for ${row.requested}`);
    assert.ok(Math.abs(row.actual! - expected.time) < 0.002, `${what} at ${row.requested}: frame at ${row.actual}, the full decode's at ${expected.time}`);
    const difference = maxPixelDifference(row.pixels!, expected.pixels);
    assert.ok(difference <= 2, `${what} at ${row.requested}: pixels differ by up to ${difference}`);
  }
}

describe('sampling edge cases against one full ffmpeg decode', () => {
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-edge-'));
  });

  it('a single keyframe at the start (60 fps, -g 1000), MP4 and MPEG-TS: every sampler gives all 12 frames', async () => {
    const mp4 = await make('one-key.mp4', ['-i', 'testsrc2=size=160x120:rate=60', '-t', '5', '-c:v', 'libx264', '-g', '1000', '-keyint_min', '1000', '-sc_threshold', '0', '-pix_fmt', 'yuv420p']);
    await runProcess(ffmpeg, ['-v', 'error', '-y', '-i', mp4, '-c', 'copy', path.join(dir, 'one-key.ts')]);
    for (const file of [mp4, path.join(dir, 'one-key.ts')]) {
      const oracle = await decodeWhole(ffmpeg, ffprobe, file, SIZE);
      const keys = await decodeWhole(ffmpeg, ffprobe, file, SIZE, true);
      assert.equal(keys.length, 1, 'one keyframe');
      for (const sampler of SAMPLERS) {
        const run = await sample(file, ['--frames', '12', '--sampler', sampler]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.rows.length, 12);
        assertMatches(run.rows, oracle, false, `${path.basename(file)} ${sampler}`);
      }
      for (const sampler of ['seek', 'auto'] as const) {
        const run = await sample(file, ['--frames', '12', '--sampler', sampler, '--keyframes']);
        assert.equal(run.code, 0, run.stderr);
        assertMatches(run.rows, keys, true, `${path.basename(file)} ${sampler} --keyframes`);
      }
    }
  });

  it('x264 intra refresh (no IDR after the first): every sampler matches the full decode', async () => {
    const file = await make('intra-refresh.ts', ['-i', 'testsrc2=size=160x120:rate=30', '-t', '5', '-c:v', 'libx264', '-x264-params', 'intra-refresh=1:keyint=60', '-pix_fmt', 'yuv420p']);
    const oracle = await decodeWhole(ffmpeg, ffprobe, file, SIZE);
    for (const sampler of SAMPLERS) {
      const run = await sample(file, ['--frames', '12', '--sampler', sampler]);
      assert.equal(run.code, 0, run.stderr);
      assertMatches(run.rows, oracle, false, `intra refresh ${sampler}`);
    }
  });

  it('Matroska and WebM with no duration in the header are sampled, not refused', async () => {
    const files = [
      await makeLive('live.webm', ['-c:v', 'libvpx', '-b:v', '300k'], 'webm'),
      await makeLive('live.mkv', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'], 'matroska'),
    ];
    for (const file of files) {
      const header = await runProcess(ffprobe, ['-v', 'error', '-show_entries', 'format=duration:stream=duration', '-of', 'default=nw=1:nk=1', file]);
      assert.deepEqual(header.stdout.toString('utf8').trim().split('\n'), ['N/A', 'N/A'], 'no duration in the header');
      const oracle = await decodeWhole(ffmpeg, ffprobe, file, SIZE);
      for (const sampler of SAMPLERS) {
        const run = await sample(file, ['--frames', '12', '--sampler', sampler]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.rows.length, 12);
        assertMatches(run.rows, oracle, false, `${path.basename(file)} ${sampler}`);
        assert.ok(run.rows.at(-1)!.requested > 3.5, 'the plan spans the whole 4 s');
      }
    }
  });

  it('VFR MP4 whose last frame (7.16 s) is long before its duration (8.73 s), with a 1.6 s gap: 12 frames on every sampler', async () => {
    const file = await make('vfr.mp4', ['-i', "testsrc2=size=160x120:rate=25,trim=0:7.2,select='not(between(t,3,4.6))'", '-vsync', 'vfr', '-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
    await stretchLastFrame(file, 8.73);
    const oracle = await decodeWhole(ffmpeg, ffprobe, file, SIZE);
    assert.ok(Math.abs(oracle.at(-1)!.time - 7.16) < 0.001, `last frame at ${oracle.at(-1)!.time}`);
    for (const sampler of SAMPLERS) {
      const run = await sample(file, ['--sampler', sampler, '--frames', '12']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.rows.length, 12);
      assertMatches(run.rows, oracle, false, `vfr ${sampler}`);
      assert.ok(run.rows.some((row) => row.requested > 7.5 && row.actual === 7.16), 'a time after the last frame gets the last frame');
      assert.ok(run.rows.some((row) => row.requested > 3.1 && row.requested < 4.5 && row.actual === 4.6), 'a time in the gap gets the next frame');
    }
    const at = await sample(file, ['--at', '3.5,8.5']);
    assert.equal(at.code, 0, at.stderr);
    assert.deepEqual(at.rows.map((row) => [row.requested, row.actual]), [[3.5, 4.6], [8.5, 7.16]]);
  });

  it('a truncated MPEG-TS and one starting mid-GOP: each frame is what the full decode shows, on every sampler', async () => {
    const whole = await make('whole.ts', ['-i', 'testsrc2=size=160x120:rate=25', '-t', '6', '-c:v', 'libx264', '-g', '50', '-bf', '2', '-pix_fmt', 'yuv420p']);
    const bytes = await readFile(whole);
    const cut = Math.floor((bytes.length * 0.6) / 188) * 188;
    const truncated = path.join(dir, 'truncated.ts');
    const midGop = path.join(dir, 'mid-gop.ts');
    await writeFile(truncated, bytes.subarray(0, cut));
    await writeFile(midGop, bytes.subarray(bytes.length - cut));
    for (const file of [truncated, midGop]) {
      const oracle = await decodeWhole(ffmpeg, ffprobe, file, SIZE);
      for (const sampler of SAMPLERS) {
        const run = await sample(file, ['--frames', '8', '--sampler', sampler]);
        assert.equal(run.code, 0, run.stderr);
        assertMatches(run.rows, oracle, false, `${path.basename(file)} ${sampler}`);
      }
    }
  });

  it('--at writes the time asked for as requested_s and the frame\'s own time beside it', async () => {
    const file = await make('cfr.mp4', ['-i', 'testsrc2=size=160x120:rate=25', '-t', '6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
    const run = await sample(file, ['--at', '5.99']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.rows.map((row) => [row.requested, row.actual]), [[5.99, 5.96]]);
  });

  it('inputs named like options (-report.mp4, -i.mp4) reach ffmpeg as files: no log in the working directory', async () => {
    const source = await make('plain.mp4', ['-i', 'testsrc2=size=160x120:rate=25', '-t', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
    const cwd = await mkdtemp(path.join(dir, 'cwd-'));
    for (const name of ['-report.mp4', '-i.mp4']) await copyFile(source, path.join(cwd, name));
    const oracle = await decodeWhole(ffmpeg, ffprobe, source, SIZE);
    for (const name of ['-report.mp4', '-i.mp4']) {
      for (const sampler of ['seek', 'auto'] as const) {
        const run = await sample(name, ['--frames', '3', '--sampler', sampler], cwd);
        assert.equal(run.code, 0, run.stderr);
        assertMatches(run.rows, oracle, false, `${name} ${sampler}`);
      }
    }
    const classify = await runCli(['classify', '--local', '--frames', '2', '--format', 'json', '-o', '-', '--', '-report.mp4'], { cwd });
    assert.equal(classify.code, 0, classify.stderr);
    assert.equal((JSON.parse(classify.stdout) as { frames: unknown[] }).frames.length, 2);
    assert.deepEqual((await readdir(cwd)).sort(), ['-i.mp4', '-report.mp4'], 'no ffmpeg/ffprobe report log written');
  });
});

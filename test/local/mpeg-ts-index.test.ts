/**
 * MPEG-TS as real encoders and muxers write it, through the CLI as users run it: each
 * sampled picture against one full ffmpeg decode of the same file (gray, 32×24, a small
 * tolerance for the PNG round trip), and each time against the decode's.
 * Files: a single keyframe, x264 intra refresh, an HLS-style HEVC segment, keyframes
 * without the random-access flag, a damaged sync byte, files joined with `cat`, and
 * fuzzed damage that must never become an internal error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveBinaries } from '../../src/media/binaries.js';
import { runProcess } from '../../src/media/process.js';
import { runCli } from '../helpers/cli.js';

const { ffmpeg } = resolveBinaries();
const W = 32;
const H = 24;
/** Largest per-pixel difference between the same picture decoded twice (PNG round trip, area scaling). */
const SAME_PICTURE = 12;
const PACKET = 188;

let dir: string;
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-ts-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function make(name: string, args: readonly string[]): Promise<string> {
  const file = path.join(dir, name);
  await runProcess(ffmpeg, ['-v', 'error', '-y', ...args, '-f', 'mpegts', file], { timeoutMs: 300_000 });
  return file;
}

const lavfi = (source: string, size: string, rate: number, seconds: number): string[] => ['-f', 'lavfi', '-i', `${source}=size=${size}:rate=${rate}:duration=${seconds}`];
const x264 = (...params: string[]): string[] => ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...params];

interface Decoded {
  /** Presentation times from the first frame, as the decode shows them. */
  readonly times: number[];
  readonly pictures: Buffer[];
  /** The times of the pictures ffmpeg's decoder flags key (showinfo iskey): what --keyframes answers with. */
  readonly keys: number[];
}

/** One full decode of the file by ffmpeg: every picture, gray at W×H, its time and whether it is key. */
async function fullDecode(file: string): Promise<Decoded> {
  const lines: string[] = [];
  const { stdout } = await runProcess(ffmpeg, ['-hide_banner', '-i', file, '-map', '0:v:0', '-vf', `showinfo,scale=${W}:${H}:flags=area,format=gray`, '-f', 'rawvideo', '-'], {
    timeoutMs: 300_000, onStderrLine: (line) => lines.push(line),
  });
  const frames = lines.flatMap((line) => {
    const match = /pts_time:(\S+).*\biskey:([01])/.exec(line);
    return match ? [{ time: Number(match[1]), key: match[2] === '1' }] : [];
  });
  const times = frames.map((frame) => frame.time);
  const pictures = times.map((_, i) => stdout.subarray(i * W * H, (i + 1) * W * H));
  return { times, pictures, keys: frames.filter((frame) => frame.key).map((frame) => frame.time) };
}

interface Row { readonly requested: number; readonly actual: number; readonly status: string; readonly picture?: Buffer }

let runs = 0;
/** `framescore sample` as a user runs it; each sampled frame's picture gray at W×H. */
async function sample(file: string, args: readonly string[]): Promise<{ rows: Row[]; code: number | null; stderr: string }> {
  const out = path.join(dir, `out-${runs++}`);
  const result = await runCli(['sample', file, '--out-dir', out, '--size', '320x240', '--fit', 'stretch', '--verbose', ...args]);
  let csv: string;
  try {
    csv = await readFile(path.join(out, 'frames.csv'), 'utf8');
  } catch {
    return { rows: [], code: result.code, stderr: result.stderr };
  }
  const rows: Row[] = [];
  for (const line of csv.trim().split('\n').slice(1)) {
    const [, requested, actual, , png, status] = line.split(',');
    let picture: Buffer | undefined;
    if (status === 'ok') picture = (await runProcess(ffmpeg, ['-v', 'error', '-i', path.join(out, png!), '-vf', `scale=${W}:${H}:flags=area,format=gray`, '-f', 'rawvideo', '-'])).stdout;
    rows.push({ requested: Number(requested), actual: Number(actual), status: status!, ...(picture ? { picture } : {}) });
  }
  return { rows, code: result.code, stderr: result.stderr };
}

const maxDifference = (a: Buffer, b: Buffer): number => a.reduce((most, value, i) => Math.max(most, Math.abs(value - b[i]!)), 0);

/** The full decode's frame for a request: the first shown at or after it, or with keyframes the last key at or before it. */
function expected(decoded: Decoded, requested: number, keys?: readonly number[]): number {
  if (keys !== undefined) {
    const key = keys.filter((time) => time <= requested + 0.0005).at(-1) ?? keys[0]!;
    return decoded.times.findIndex((time) => Math.abs(time - key) < 0.0005);
  }
  const index = decoded.times.findIndex((time) => time >= requested - 0.0005);
  return index < 0 ? decoded.times.length - 1 : index;
}

/** Every row sampled, at the decode's time, with the decode's picture (rows `except` only sampled). */
function assertMatches(decoded: Decoded, rows: readonly Row[], what: string, keys?: readonly number[], except: (time: number) => boolean = () => false): void {
  assert.ok(rows.length > 0, `${what}: no frames`);
  for (const row of rows) {
    assert.equal(row.status, 'ok', `${what}: ${row.requested} s`);
    const frame = expected(decoded, row.requested, keys);
    assert.ok(frame >= 0, `${what}: the decode has no frame for ${row.requested} s`);
    if (except(decoded.times[frame]!)) continue;
    assert.ok(Math.abs(row.actual - decoded.times[frame]!) < 0.0015, `${what}: ${row.requested} s gave ${row.actual} s, the decode ${decoded.times[frame]} s`);
    const difference = maxDifference(row.picture!, decoded.pictures[frame]!);
    assert.ok(difference <= SAME_PICTURE, `${what}: the picture at ${row.requested} s differs from the decode's by ${difference}`);
  }
}

function assertNoFallback(stderr: string, what: string): void {
  assert.match(stderr, /indexed \d+ frames \(MPEG-TS/, what);
  assert.doesNotMatch(stderr, /per-frame seek|internal|please report/, what);
}

describe('MPEG-TS index on real encoders\' files', { concurrency: 1 }, () => {
  it('a single keyframe at the start (720×720, 60 fps, 5 s): 12 frames on indexed and auto, each the decode\'s', async () => {
    const file = await make('single-key.ts', [...lavfi('testsrc2', '720x720', 60, 5), ...x264('-g', '1000')]);
    const decoded = await fullDecode(file);
    for (const sampler of ['indexed', 'auto']) {
      const { rows, code, stderr } = await sample(file, ['--frames', '12', '--sampler', sampler]);
      assert.equal(code, 0, stderr);
      assert.equal(rows.length, 12);
      assertMatches(decoded, rows, `single keyframe, ${sampler}`);
      if (sampler === 'indexed') assertNoFallback(stderr, sampler);
    }
  });

  it('x264 intra refresh: decoding starts at the IDR, so every picture is the decode\'s; recovery points are not keyframes (ffmpeg\'s decoder does not flag them)', async () => {
    const file = await make('intra-refresh.ts', [...lavfi('testsrc2', '720x720', 60, 5), ...x264('-x264-params', 'intra-refresh=1:keyint=60')]);
    const decoded = await fullDecode(file);
    const { keys } = decoded;
    assert.deepEqual(keys, [decoded.times[0]], 'ffmpeg\'s decoder flags only the IDR key');
    for (const sampler of ['indexed', 'auto']) {
      const { rows, code, stderr } = await sample(file, ['--frames', '12', '--sampler', sampler]);
      assert.equal(code, 0, stderr);
      assertMatches(decoded, rows, `intra refresh, ${sampler}`);
      if (sampler === 'indexed') assertNoFallback(stderr, sampler);
    }
    const { rows, code, stderr } = await sample(file, ['--frames', '6', '--keyframes', '--sampler', 'indexed']);
    assert.equal(code, 0, stderr);
    assertMatches(decoded, rows, 'intra refresh, --keyframes', keys);
    assert.deepEqual(rows.map((row) => row.actual), rows.map(() => 0), 'the IDR answers every time');
    assertNoFallback(stderr, 'intra refresh, --keyframes');
  });

  it('HEVC as an HLS segment (PTS from 16.77 s, IDR first, B-frames): the picture at 0.2 s, and 0.0 s for keyframes', async () => {
    const file = await make('hls-hevc.ts', [
      ...lavfi('testsrc2', '320x240', 25, 4), '-c:v', 'libx265', '-preset', 'ultrafast', '-bf', '3', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p',
      '-muxdelay', '0', '-output_ts_offset', '16.77',
    ]);
    const decoded = await fullDecode(file);
    const { keys } = decoded;
    for (const sampler of ['indexed', 'auto']) {
      const { rows, code, stderr } = await sample(file, ['--at', '0.2,1,2.5,3.9', '--sampler', sampler]);
      assert.equal(code, 0, stderr);
      assertMatches(decoded, rows, `HLS HEVC, ${sampler}`);
    }
    const { rows, code, stderr } = await sample(file, ['--at', '0.2,0.5,1.3', '--keyframes', '--sampler', 'indexed']);
    assert.equal(code, 0, stderr);
    assert.deepEqual(rows.map((row) => row.actual), [0, 0, 0]);
    assertMatches(decoded, rows, 'HLS HEVC, --keyframes', keys);
  });

  it('keyframes without the random-access flag: indexed from the bitstream, --keyframes works', async () => {
    const file = await make('no-rai.ts', [...lavfi('testsrc2', '320x240', 25, 8), ...x264('-g', '25', '-bf', '2')]);
    const bytes = await readFile(file);
    let cleared = 0;
    for (let at = 0; at + PACKET <= bytes.length; at += PACKET) {
      // An adaptation field with the random_access_indicator: clear it.
      if ((bytes[at + 3]! & 0x20) && bytes[at + 4]! > 0 && (bytes[at + 5]! & 0x40)) {
        bytes[at + 5]! &= ~0x40;
        cleared += 1;
      }
    }
    assert.ok(cleared >= 8, 'the muxer had flagged the keyframes');
    await writeFile(file, bytes);
    const decoded = await fullDecode(file);
    const { keys } = decoded;
    for (const sampler of ['indexed', 'auto']) {
      const { rows, code, stderr } = await sample(file, ['--frames', '8', '--keyframes', '--sampler', sampler]);
      assert.equal(code, 0, stderr);
      assertMatches(decoded, rows, `no RAI --keyframes, ${sampler}`, keys);
      if (sampler === 'indexed') assertNoFallback(stderr, sampler);
    }
  });

  it('one bad sync byte: the index resynchronises and is kept, and --verbose names the damage and its offset', async () => {
    const source = await make('sync-source.ts', [...lavfi('testsrc2', '320x240', 25, 8), ...x264('-g', '25', '-bf', '2')]);
    const bytes = await readFile(source);
    const { keys } = await fullDecode(source);
    // A video packet (ffmpeg's PID 0x100) half way through the file. Its frame and those decoded
    // after it up to the next keyframe may differ from ffmpeg's: each decoder conceals the loss its way.
    const pid = (at: number): number => ((bytes[at + 1]! & 0x1f) << 8) | bytes[at + 2]!;
    let damaged = Math.floor(bytes.length / 2 / PACKET) * PACKET;
    while (pid(damaged) !== 0x100) damaged += PACKET;
    const ptsAt = (at: number): number => {
      const pes = at + 4 + ((bytes[at + 3]! & 0x20) ? 1 + bytes[at + 4]! : 0);
      const b = bytes.subarray(pes + 9, pes + 14);
      return (((b[0]! >> 1) & 7) * 2 ** 30 + (b[1]! << 22) + ((b[2]! >> 1) << 15) + (b[3]! << 7) + (b[4]! >> 1)) / 90_000;
    };
    let frameStart = damaged;
    while (pid(frameStart) !== 0x100 || !(bytes[frameStart + 1]! & 0x40)) frameStart -= PACKET;
    let firstFrame = 0;
    while (pid(firstFrame) !== 0x100 || !(bytes[firstFrame + 1]! & 0x40)) firstFrame += PACKET;
    const damagedTime = ptsAt(frameStart) - ptsAt(firstFrame);
    const from = keys.filter((time) => time <= damagedTime).at(-1) ?? 0;
    const to = keys.find((time) => time > damagedTime) ?? Infinity;
    bytes[damaged] = 0x00;
    const file = path.join(dir, 'bad-sync.ts');
    await writeFile(file, bytes);
    const decoded = await fullDecode(file);
    const { rows, code, stderr } = await sample(file, ['--frames', '16', '--sampler', 'indexed']);
    assert.equal(code, 0, stderr);
    assert.equal(rows.length, 16);
    assertMatches(decoded, rows, 'bad sync byte', undefined, (time) => time >= from && time < to);
    // The stream decoder stops where ffmpeg 4.1 would conceal: the frames it had not given take the per-frame seek, for that reason only.
    assert.match(stderr, /indexed \d+ frames \(MPEG-TS/);
    assert.doesNotMatch(stderr, /internal|please report/);
    const reasons = /frames took the per-frame seek: (.*)/.exec(stderr)?.[1];
    if (reasons !== undefined) for (const reason of reasons.split('; ')) assert.match(reason, /^\d+× the decoder met damaged data/, 'bad sync byte');
    assert.match(stderr, new RegExp(`packet sync lost at byte ${damaged}\\b`));
  });

  it('two files joined with cat (the clock goes back, or jumps ahead): the decode\'s continuous timeline', async () => {
    const first = await readFile(await make('part-a.ts', [...lavfi('testsrc2', '320x240', 25, 6), ...x264('-g', '25', '-bf', '2')]));
    const back = await readFile(await make('part-b.ts', [...lavfi('testsrc', '320x240', 25, 6), ...x264('-g', '25', '-bf', '2'), '-output_ts_offset', '2']));
    const ahead = await readFile(await make('part-c.ts', [...lavfi('testsrc', '320x240', 25, 6), ...x264('-g', '25', '-bf', '2'), '-output_ts_offset', '60']));
    for (const [name, second] of [['joined-back.ts', back], ['joined-ahead.ts', ahead]] as const) {
      const file = path.join(dir, name);
      await writeFile(file, Buffer.concat([first, second]));
      const decoded = await fullDecode(file);
      assert.ok(decoded.times.at(-1)! > 11.5 && decoded.times.at(-1)! < 12.5, `${name}: ffmpeg's decode is continuous (${decoded.times.at(-1)} s)`);
      for (const sampler of ['indexed', 'auto']) {
        const { rows, code, stderr } = await sample(file, ['--at', '2,5.9,6.1,7.5', '--sampler', sampler]);
        assert.equal(code, 0, stderr);
        assertMatches(decoded, rows, `${name}, ${sampler}`);
        if (sampler === 'indexed') assert.match(stderr, /clock jumps 1×/);
      }
      // Sparse times (the index would read around them): the jump is seen, and the file is scanned whole.
      const { rows, code, stderr } = await sample(file, ['--at', name === 'joined-back.ts' ? '6.1' : '2,7.5', '--sampler', 'indexed']);
      assert.equal(code, 0, stderr);
      assertMatches(decoded, rows, `${name}, sparse`);
      assert.doesNotMatch(stderr, /around the requested times/);
    }
  });

  it('damage of every kind (truncation, bad PES lengths, random bytes, an empty file) never is an internal error', async () => {
    const good = await readFile(await make('fuzz-source.ts', [...lavfi('testsrc2', '320x240', 25, 4), ...x264('-g', '25', '-bf', '2')]));
    let seed = 7;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const variants: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['one packet', good.subarray(0, PACKET)],
      ['cut mid-packet', good.subarray(0, Math.floor(good.length * 0.6) + 77)],
      ['random bytes', Buffer.from(Array.from({ length: 50_000 }, () => Math.floor(random() * 256)))],
    ];
    const pesLengths = Buffer.from(good);
    for (let at = 0; at + PACKET <= pesLengths.length; at += PACKET) {
      const payload = at + 4 + ((pesLengths[at + 3]! & 0x20) ? 1 + pesLengths[at + 4]! : 0);
      if ((pesLengths[at + 1]! & 0x40) && payload + 9 < at + PACKET && pesLengths[payload + 2] === 1) {
        pesLengths[payload + 8] = 0xff; // a PES header longer than its packet
        pesLengths[payload + 4] = 0xff;
      }
    }
    variants.push(['bad PES lengths', pesLengths]);
    const scattered = Buffer.from(good);
    for (let i = 0; i < 40; i += 1) scattered[Math.floor(random() * scattered.length)] = Math.floor(random() * 256);
    variants.push(['random bytes scattered', scattered]);
    const dropped = Buffer.concat([good.subarray(0, 40_000), good.subarray(40_100, 90_000), good.subarray(90_013)]);
    variants.push(['bytes dropped', dropped]);
    for (const [what, bytes] of variants) {
      const file = path.join(dir, `fuzz-${what.replaceAll(' ', '-')}.ts`);
      await writeFile(file, bytes);
      for (const args of [['--frames', '6', '--sampler', 'indexed'], ['--frames', '6', '--keyframes']]) {
        const { code, stderr } = await sample(file, args);
        assert.ok(code === 0 || code === 2 || code === 3, `${what} ${args.join(' ')}: exit ${code}: ${stderr}`);
        assert.doesNotMatch(stderr, /internal error|please report|at .*\.js:\d+/, `${what} ${args.join(' ')}`);
      }
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, chmod, cp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_MODEL_DIR } from '../../src/run/paths.js';
import { runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/videos.js';

let work: string;
before(async () => { work = await mkdtemp(path.join(os.tmpdir(), 'framescore-bad-')); });
after(async () => { await rm(work, { recursive: true, force: true }); });

/** One line on stderr, naming the input and the problem; no stack trace. */
async function expectBadInput(args: string[], pattern: RegExp, code = 2): Promise<void> {
  const result = await runCli(['classify', ...args, '--out', path.join(work, 'report')]);
  assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

describe('bad input: one clear line and exit 2', () => {
  it('names missing, directory, empty and unreadable files', async () => {
    await expectBadInput(['/no/such/episode.mp4'], /^framescore: cannot read video "\/no\/such\/episode\.mp4": no such file$/);
    await expectBadInput([work], /cannot read video ".*": it is a directory/);
    await expectBadInput([await fixture('empty.mp4')], /cannot read video ".*empty\.mp4": the file is empty/);
    if (process.getuid?.() !== 0) {
      const locked = path.join(work, 'locked.mp4');
      await writeFile(locked, 'x');
      await chmod(locked, 0o000);
      await expectBadInput([locked], /permission denied/);
    }
  });

  it('names files that are not videos or have no picture', async () => {
    await expectBadInput([await fixture('not-a-video.mp4')], /cannot read video ".*not-a-video\.mp4": not a video/);
    await expectBadInput([await fixture('audio-only.m4a')], /cannot read video ".*audio-only\.m4a": no video stream \(only audio\)/);
  });

  it('refuses times beyond the video and nonsense option values', async () => {
    const video = await fixture('h264.mp4');
    await expectBadInput([video, '--at', '1,99'], /--at 00:01:39\.000 is beyond the end of the video \(00:00:08\.000\)/);
    await expectBadInput([video, '--frames', 'many'], /--frames "many" must be a whole number/);
    await expectBadInput([video, '--threshold', '2'], /--threshold "2" must be a number from 0 to 1/);
    await expectBadInput([video, '--at', 'noon'], /--at value "noon" is not a time/);
    await expectBadInput([video, '--every', '1', '--at', '2'], /--every and --at cannot be used together/);
    await expectBadInput([video, '--backend', 'gpu'], /--backend "gpu" must be one of auto, onnx, wasm, node, cpu/);
    await expectBadInput([video, '--start', '20'], /--start 00:00:20\.000 is at or beyond the end/);
    await expectBadInput(['ftp://example.org/x.mp4'], /unsupported scheme/);
  });

  it('names a missing or malformed model directory', async () => {
    const video = await fixture('h264.mp4');
    await expectBadInput([video, '--model', path.join(work, 'no-model')], /--model ".*no-model": no such directory/);
    const empty = path.join(work, 'empty-model');
    await mkdir(empty);
    await expectBadInput([video, '--model', empty], /model .*empty-model has no model\.json/);
    const broken = path.join(work, 'broken-model');
    await cp(DEFAULT_MODEL_DIR, broken, { recursive: true });
    await writeFile(path.join(broken, 'group1-shard1of1.bin'), 'not weights');
    await expectBadInput([video, '--model', broken], /group1-shard1of1\.bin fails its sha256 check/);
  });

  it('names why an https input cannot be reached (nothing listening: connection refused)', async () => {
    // A port that was just free: nothing listens on it.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expectBadInput([`https://127.0.0.1:${port}/episode.mp4`], /^framescore: cannot read video "https:\/\/127\.0\.0\.1:\d+\/episode\.mp4": cannot connect: connection refused \(ECONNREFUSED\)$/);
    await expectBadInput(['https://framescore-test.invalid/episode.mp4'], /cannot connect: (host not found \(ENOTFOUND\)|DNS lookup failed \(EAI_AGAIN\))$/);
  });

  it('reports an unknown option through commander with exit 2', async () => {
    const result = await runCli(['classify', '--no-such-option']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown option '--no-such-option'/);
  });
});

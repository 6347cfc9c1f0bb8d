import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveBinaries } from '../../src/media/binaries.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-doctor-test-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** `name: value` lines as a map. */
function fields(stdout: string): Map<string, string> {
  return new Map(stdout.trim().split('\n').map((line) => {
    const at = line.indexOf(':');
    return [line.slice(0, at), line.slice(at + 1).trim()] as const;
  }));
}

describe('framescore doctor', () => {
  it('names the binaries, backend and model, and checks the indexed sampler with a real ffmpeg', async () => {
    const result = await runCli(['doctor']);
    assert.equal(result.code, 0, result.stderr);
    const found = fields(result.stdout);
    assert.match(found.get('ffmpeg') ?? '', /version/);
    assert.match(found.get('sampling') ?? '', /^indexed for MP4\/MOV H\.264 and HEVC/);
    assert.match(found.get('model sha256') ?? '', /^[0-9a-f]{64}$/);
    assert.equal(found.get('containers'), 'MP4, MOV, MKV, WebM, MPEG-TS, AVI each made, probed and a frame decoded');
  });

  it('exits 2 naming the container when the resolved ffprobe cannot read one (a build that crashes on MPEG-TS)', async () => {
    // An ffprobe that dies as the npm static build did on every MPEG-TS (SIGSEGV: exit 139 from a shell); everything else goes to the real one.
    const real = resolveBinaries();
    const ffprobe = path.join(dir, 'crashing-ffprobe');
    await writeFile(ffprobe, `#!/bin/sh\nfor a in "$@"; do case "$a" in *.ts) echo "Segmentation fault" >&2; exit 139;; esac; done\nexec "${real.ffprobe}" "$@"\n`);
    await chmod(ffprobe, 0o755);
    const tmp = path.join(dir, 'tmp');
    await mkdir(tmp);
    const result = await runCli(['doctor'], { env: { FFPROBE_PATH: ffprobe, TMPDIR: tmp } });
    assert.equal(result.code, 2, result.stderr);
    const line = fields(result.stdout).get('containers') ?? '';
    assert.match(line, /^PROBLEM: MPEG-TS does not work with these binaries: ffprobe cannot read it \(.*exited with code 139\)$/);
    const stderr = result.stderr.trim().split('\n');
    assert.equal(stderr.length, 1, result.stderr);
    assert.match(stderr[0]!, /^framescore: doctor: MPEG-TS does not work with these binaries: ffprobe cannot read it/);
    assert.equal(fields(result.stdout).get('ffprobe')?.startsWith(ffprobe), true);
    assert.deepEqual(await readdir(tmp), [], 'the clips are removed');
  });

  it('says when this ffmpeg cannot run the indexed sampler (an option a future ffmpeg might drop), and still passes', async () => {
    // An ffmpeg that refuses -vsync, as a build without it would; everything else goes to the real one.
    const real = resolveBinaries();
    const ffmpeg = path.join(dir, 'ffmpeg');
    await writeFile(ffmpeg, `#!/bin/sh\nfor a in "$@"; do [ "$a" = "-vsync" ] && { echo "Unrecognized option 'vsync'." >&2; exit 8; }; done\nexec "${real.ffmpeg}" "$@"\n`);
    await chmod(ffmpeg, 0o755);
    await symlink(real.ffprobe, path.join(dir, 'ffprobe'));
    const result = await runCli(['doctor', '--ffmpeg', ffmpeg]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(fields(result.stdout).get('sampling') ?? '', /^one ffmpeg seek per frame only; the indexed path failed here: 1 frame took the per-frame seek: .*ffmpeg exited with code 8/);
  });
});

import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveBinaries } from '../../src/cli/binaries.js';
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

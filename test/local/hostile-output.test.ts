/**
 * Careless and hostile outputs, through the CLI as users run it: a report never
 * replaces what is not a regular file, an output that cannot be written is
 * refused before the run, a run whose output goes away keeps its results, and
 * SIGTERM ends a run with the partial report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../src/core/report.js';
import { BIN, ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { fixture } from '../helpers/videos.js';

let work: string;
let video: string;
before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'framescore-hostile-'));
  video = await fixture('h264.mp4');
});
after(async () => { await rm(work, { recursive: true, force: true }); });

const isRoot = process.getuid?.() === 0;

/** A small run (one inference worker: a second would load the model again for three frames); the output is the point. */
function classify(output: string[], frames = '3'): Promise<CliResult> {
  return runCli(['classify', video, '--frames', frames, '--workers', '1', '--format', 'csv', ...output]);
}

/** Refused before any frame is decoded: exit 2, one line naming the output, no progress, no stack. */
function assertRefused(result: CliResult, output: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${result.stderr}`);
  assert.match(lines[0]!, output);
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
}

/** Runs the CLI and calls `when` with the child once stderr contains `text`. */
function runUntil(args: string[], text: string, when: (pid: number) => Promise<void> | void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let fired = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!fired && stderr.includes(text)) {
        fired = true;
        Promise.resolve(when(child.pid!)).catch(reject);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('hostile outputs: never replaced, refused before the run, results kept', () => {
  it('-o /dev/null writes through the device and leaves it a character device', async () => {
    const result = await classify(['-o', '/dev/null']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await lstat('/dev/null')).isCharacterDevice(), '/dev/null is still a device');
  });

  it('-o -, -o /dev/stdout and -o /dev/fd/1 reach stdout; /dev/stdout stays a symlink', async () => {
    for (const name of ['-', '/dev/stdout', '/dev/fd/1']) {
      const result = await classify(['-o', name]);
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.match(result.stdout, /^video,index,requested_s/, `${name}: the CSV on stdout`);
      assert.equal(result.stdout.trimEnd().split('\n').length, 4, `${name}: header and 3 frames`);
    }
    assert.ok((await lstat('/dev/stdout')).isSymbolicLink());
  });

  it('a symlink is written through to its target and kept', async () => {
    const dir = path.join(work, 'link');
    await mkdir(dir);
    const target = path.join(dir, 'real.csv');
    const link = path.join(dir, 'report.csv');
    await symlink('real.csv', link);
    const result = await classify(['-o', link]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await lstat(link)).isSymbolicLink(), 'the link is still a link');
    assert.match(await readFile(target, 'utf8'), /^video,index,requested_s/);
  });

  it('a FIFO with a reader gets the report and stays a FIFO', async () => {
    const fifo = path.join(work, 'report.fifo');
    await new Promise<void>((resolve, reject) => {
      spawn('mkfifo', [fifo], { stdio: 'ignore' }).on('error', reject).on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo exited ${code}`))));
    });
    // The reader opens the FIFO (in libuv's thread pool, so it may wait for the writer).
    const read = new Promise<string>((resolve, reject) => {
      let text = '';
      createReadStream(fifo, 'utf8').on('data', (chunk) => { text += String(chunk); }).on('end', () => resolve(text)).on('error', reject);
    });
    const result = await classify(['-o', fifo]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await read).trimEnd().split('\n').length, 4);
    assert.ok((await lstat(fifo)).isFIFO(), 'still a FIFO');
  });

  it('an output that cannot be written is refused before the run with exit 2 and one line', async () => {
    // Paths no user can create files in, root included.
    assertRefused(await classify(['-o', '/proc/framescore-report.csv']), /^framescore: cannot write "\/proc\/framescore-report\.csv": /);
    assertRefused(await classify(['-o', '/sys/framescore-report.csv']), /^framescore: cannot write "\/sys\/framescore-report\.csv": /);
    assertRefused(await classify(['--out', '/proc/framescore/report']), /^framescore: cannot write "\/proc\/framescore\/report\.csv": /);
    // A device where a directory is wanted; a directory where a file is wanted.
    assertRefused(await classify(['--out-dir', '/dev/null']), /^framescore: cannot write "\/dev\/null": .*not a directory/);
    assertRefused(await classify(['-o', work]), /cannot write ".*": it is a directory/);
    // A read-only directory: root writes into it anyway, so only another user can see the refusal.
    const locked = path.join(work, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o555);
    const result = await classify(['--out-dir', path.join(locked, 'reports')]);
    if (isRoot) assert.equal(result.code, 0, `root may write into a 0555 directory: ${result.stderr}`);
    else assertRefused(result, /cannot write ".*locked.*": .*permission denied \(EACCES\)/);
    await chmod(locked, 0o755);
  });

  it('--out-dir /proc/x ends with exit 2 (Node\'s recursive mkdir loops for ever there)', async () => {
    assertRefused(await classify(['--out-dir', '/proc/framescore-x']), /^framescore: cannot write "\/proc\/framescore-x": cannot create directory/);
    assertRefused(await classify(['--out-dir', '/proc/framescore-x/deeper']), /^framescore: cannot write "\/proc\/framescore-x\/deeper": /);
  });

  it('an output directory replaced mid-run: one line, the report in the temporary directory, exit 4', async () => {
    const reports = path.join(work, 'vanishing');
    const episode = await fixture('sample.mp4');
    const name = path.basename(episode, '.mp4');
    // After the first progress line (the directory was checked and created before it), a file takes its place.
    const result = await runUntil(
      ['classify', episode, '--frames', '60', '--format', 'json', '--out-dir', reports],
      'frames scored',
      async () => {
        await rm(reports, { recursive: true, force: true });
        await writeFile(reports, 'not a directory');
      },
    );
    assert.equal(result.code, 4, result.stderr);
    const line = /framescore: cannot write "(.*)": (.*); wrote it to (\S+) instead\n/.exec(result.stderr);
    assert.ok(line, result.stderr);
    assert.equal(line[1], path.join(reports, `${name}.json`));
    const fallback = line[3]!;
    assert.equal(path.dirname(fallback), os.tmpdir());
    assert.ok(new RegExp(`^framescore-${name}-\\d+\\.json$`).test(path.basename(fallback)), fallback);
    try {
      const report = JSON.parse(await readFile(fallback, 'utf8')) as Report;
      assert.equal(report.frames.length, 60, 'every finished frame kept');
      assert.ok(report.frames.every((frame) => frame.status === 'ok'));
    } finally {
      await rm(fallback, { force: true });
    }
    assert.ok((await stat(reports)).isFile(), 'what replaced the directory is left alone');
  });

  it('SIGTERM mid-run ends with exit 143 and the partial report of finished frames', async () => {
    const base = path.join(work, 'terminated');
    const result = await runUntil(
      ['classify', await fixture('sample.mp4'), '--frames', '150', '--format', 'json', '--out', base],
      'frames scored',
      (pid) => { process.kill(pid, 'SIGTERM'); },
    );
    assert.equal(result.code, 143, result.stderr);
    assert.match(result.stderr, /terminated \(SIGTERM\)/);
    const report = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Report;
    assert.equal(report.run.interrupted, true);
    assert.ok(report.frames.length > 0 && report.frames.length < 150, `${report.frames.length} frames`);
    assert.ok(report.frames.every((frame) => frame.status === 'ok'), 'no frame reported failed because it was cancelled');
  });

  it('progress lines count failed frames apart from scored ones', async () => {
    const result = await runCli(['classify', await fixture('truncated.mp4'), '--frames', '12', '--format', 'csv', '--out', path.join(work, 'truncated')]);
    assert.equal(result.code, 3, result.stderr);
    const progress = [...result.stderr.matchAll(/: (\d+)\/12 frames scored, (\d+) failed \(/g)].at(-1);
    assert.ok(progress, result.stderr);
    const [scored, failed] = [Number(progress[1]), Number(progress[2])];
    assert.ok(failed > 0, 'the truncated half fails');
    assert.equal(scored + failed, 12, `${scored} scored + ${failed} failed`);
  });
});

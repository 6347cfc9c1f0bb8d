import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeImage } from '../../src/core/image-decode.js';
import type { Report } from '../../src/core/report.js';
import { runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/videos.js';

let out: string;
before(async () => { out = await mkdtemp(path.join(os.tmpdir(), 'framescore-cli-')); });
after(async () => { await rm(out, { recursive: true, force: true }); });

const LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

describe('framescore classify --local (the CLI as a subprocess)', () => {
  it('writes CSV and JSON reports that parse back and agree', async () => {
    const video = await fixture('h264.mp4');
    const base = path.join(out, 'h264');
    const result = await runCli(['classify', video, '--local', '--frames', '12', '--out', base]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    const report = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Report;
    assert.equal(report.frames.length, 12);
    assert.deepEqual(report.model.labels, LABELS);
    assert.match(report.model.sha256, /^[0-9a-f]{64}$/);
    assert.equal(report.video.codec, 'h264');
    assert.equal(report.summary.frames.ok, 12);
    for (const frame of report.frames) {
      assert.equal(frame.status, 'ok');
      if (frame.status !== 'ok') continue;
      assert.ok(Math.abs(Object.values(frame.scores).reduce((a, b) => a + b, 0) - 1) < 1e-4, 'softmax scores sum to 1');
      assert.ok(frame.actualTime !== null && frame.actualTime >= frame.requestedTime - 1e-3 && frame.actualTime - frame.requestedTime <= 0.04 + 1e-3);
    }
    const csv = (await readFile(`${base}.csv`, 'utf8')).trimEnd().split('\n');
    assert.equal(csv.length, 13);
    assert.deepEqual(csv[0]!.split(',').slice(5, 10), LABELS);
    const row = csv[5]!.split(',');
    const frame = report.frames[4]!;
    assert.equal(Number(row[1]), 4);
    assert.ok(frame.status === 'ok' && Math.abs(Number(row[5]) - frame.scores.Drawing!) < 1e-5);
    assert.match(result.stderr, /framescore: .*12\/12 frames scored; wrote/);
  });

  it('prints JSON to stdout with -o - and keeps messages on stderr', async () => {
    const result = await runCli(['classify', await fixture('h264.mkv'), '--local', '--frames', '3', '--format', 'json', '-o', '-']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    assert.equal(report.frames.length, 3);
    assert.match(result.stderr, /frames scored/);
  });

  it('scores a still image as one frame', async () => {
    const result = await runCli(['classify', await fixture('still.jpg'), '--local', '--format', 'jsonl', '-o', '-', '-q']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]!) as { status: string }).status, 'ok');
  });

  it('finds the sample episode\'s scene changes and keeps the frames as lossless PNGs with --save-frames', async () => {
    const frames = path.join(out, 'frames');
    const result = await runCli(['classify', await fixture('sample.mp4'), '--scenes', '--format', 'json', '-o', '-', '--save-frames', frames]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    const times = report.frames.map((frame) => frame.actualTime ?? -1);
    const boundaries = [0, 5, 10, 14, 19, 22, 26, 31];
    assert.equal(times.length, boundaries.length, `scene frames at ${times.join(', ')}`);
    times.forEach((time, i) => assert.ok(Math.abs(time - boundaries[i]!) <= 0.08, `scene ${i} at ${time}, expected ${boundaries[i]}`));
    const saved = (await readdir(frames)).filter((name) => name.endsWith('.png')).sort();
    assert.equal(saved.length, boundaries.length);
    const png = decodeImage(new Uint8Array(await readFile(path.join(frames, saved[0]!))));
    assert.deepEqual([png.width, png.height], [224, 224]);
  });

  it('--keyframes samples keyframes only', async () => {
    const result = await runCli(['classify', await fixture('h264.mp4'), '--keyframes', '--every', '1.5', '--format', 'json', '-o', '-', '-q']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    assert.ok(report.frames.length >= 5);
    for (const frame of report.frames) assert.equal(frame.actualTime, Math.floor(frame.requestedTime), `frame ${frame.index}`);
  });

  it('writes the report and exits 3 when some frames fail (truncated file)', async () => {
    const base = path.join(out, 'truncated');
    const result = await runCli(['classify', await fixture('truncated.mp4'), '--frames', '6', '--out', base]);
    assert.equal(result.code, 3, result.stderr);
    const report = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Report;
    assert.equal(report.frames.length, 6);
    assert.ok(report.summary.frames.ok >= 2 && report.summary.frames.failed >= 2, JSON.stringify(report.summary.frames));
    assert.equal(report.frames[0]!.status, 'ok');
    assert.equal(report.frames[5]!.status, 'failed');
    assert.match(await readFile(`${base}.csv`, 'utf8'), /,failed,(NO_FRAME|DECODE_FAILED|SEEK_MISSED): /);
  });

  it('gives inputs with the same name their own reports in --out-dir', async () => {
    const dir = path.join(out, 'same-name');
    await mkdir(path.join(dir, 'a'), { recursive: true });
    await mkdir(path.join(dir, 'b'), { recursive: true });
    const [first, second] = [path.join(dir, 'a', 'episode.mp4'), path.join(dir, 'b', 'episode.mp4')];
    await copyFile(await fixture('h264.mp4'), first);
    await copyFile(await fixture('sample.mp4'), second);
    const reports = path.join(dir, 'reports');
    const result = await runCli(['classify', first, second, '--frames', '2', '--out-dir', reports]);
    assert.equal(result.code, 0, result.stderr);
    const read = async (name: string): Promise<Report> => JSON.parse(await readFile(path.join(reports, name), 'utf8')) as Report;
    assert.equal((await read('episode.json')).video.source, first);
    assert.equal((await read('episode-2.json')).video.source, second);
  });

  it('on Ctrl-C writes the partial report and exits 130', async () => {
    const base = path.join(out, 'interrupted');
    const result = await runCli(['classify', await fixture('sample.mp4'), '--frames', '150', '--out', base], { interruptWhen: 'frames scored' });
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /interrupted: finishing frames in flight/);
    const report = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Report;
    assert.equal(report.run.interrupted, true);
    assert.ok(report.frames.length > 0 && report.frames.length < 150, `${report.frames.length} frames`);
    assert.ok(report.frames.every((frame) => frame.status === 'ok'), 'no frame is reported failed just because it was cancelled');
  });
});

/**
 * The library's behaviour as a program sees it: cancellation through an
 * AbortSignal, errors as classes, events as data, and no output of its own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { classify, InputError, OptionError, renderHtmlReport, sample, type FrameResult, type RunEvent } from '../../src/index.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { fixture } from '../helpers/videos.js';

describe('the library (src/index.ts)', () => {
  it('an aborted run ends early: frames in flight finish, the report says interrupted and holds only finished frames', async () => {
    const video = await fixture('h264.mp4');
    const controller = new AbortController();
    // Aborted as the first frame is sampled (the engine reports it synchronously), not when the
    // consumer sees a result: the run does not wait for its reader, so a fast machine could finish first.
    const abortOnFirstFrame = (event: RunEvent): void => { if (event.type === 'progress' && event.sampled >= 1) controller.abort(); };
    const run = classify(video, { frames: 40, workers: 1, sampleConcurrency: 1, signal: controller.signal, onEvent: abortOnFirstFrame });
    const seen: FrameResult[] = [];
    for await (const frame of run) seen.push(frame);
    const report = await run.report;
    assert.equal(report.run.interrupted, true);
    assert.ok(seen.length >= 1 && seen.length < 40, `${seen.length} frames after the abort`);
    assert.equal(report.frames.length, seen.length);
    assert.ok(report.frames.every((frame) => frame.status === 'ok'), 'frames cut short are left out, not failed');
  });

  it('an unreadable input rejects the report with InputError naming it, and reading the frames throws the same error', async () => {
    const missing = path.join(ROOT, 'no-such-video.mp4');
    const run = classify(missing, { frames: 2 });
    await assert.rejects(run.report, (error: unknown) => error instanceof InputError && error.message.includes(missing) && /no such file/.test(error.message));
    await assert.rejects(async () => { for await (const frame of run.frames) assert.fail(`no frame expected, got ${frame.index}`); }, InputError);
  });

  it('options are checked before any work, as OptionError naming the option', async () => {
    await assert.rejects(classify('x.mp4', { every: 1, at: [2] }).report, (error: unknown) => error instanceof OptionError && error.message === 'every and at cannot be used together');
    await assert.rejects(classify('x.mp4', { frames: 0 }).report, (error: unknown) => error instanceof OptionError && /^frames 0 must be a whole number/.test(error.message));
    await assert.rejects(sample('x.mp4', { size: { width: 1, height: 10 } }).next(), OptionError);
  });

  it('progress and messages arrive as events (data); sample gives frames at the size asked', async () => {
    const video = await fixture('h264.mp4');
    const events: RunEvent[] = [];
    const frames = [];
    for await (const frame of sample(video, { every: 2, size: { width: 64, height: 48 }, onEvent: (event) => { events.push(event); } })) frames.push(frame);
    assert.deepEqual(frames.map((frame) => frame.requestedTime).sort((a, b) => a - b), [0, 2, 4, 6]);
    for (const frame of frames) {
      assert.equal(frame.status, 'sampled');
      if (frame.status !== 'sampled' || frame.image instanceof Uint8Array) assert.fail('raw RGB expected');
      assert.deepEqual([frame.image.width, frame.image.height, frame.image.data.length], [64, 48, 64 * 48 * 3]);
    }
    const progress = events.filter((event) => event.type === 'progress');
    assert.deepEqual(progress.at(-1), { type: 'progress', source: video, total: 4, sampled: 4, done: 4, failed: 0 });
  });

  it('keepImages keeps each frame for the HTML report, which embeds them as thumbnails', async () => {
    const run = classify(await fixture('h264.mp4'), { frames: 2, keepImages: true });
    const report = await run.report;
    assert.deepEqual([...run.images.keys()].sort(), [0, 1]);
    const html = await renderHtmlReport(report, run.images);
    assert.ok((html.match(/data:image\/(?:jpeg|png);base64,/g)?.length ?? 0) >= 2, 'a thumbnail for each frame');
    assert.equal((await renderHtmlReport(report, new Map())).match(/data:image\/(?:jpeg|png);base64,/g), null);
  });

  it('a program using it writes nothing to stdout or stderr and exits by itself when the run ends', async () => {
    const video = await fixture('h264.mp4');
    const script = path.join(await tempDir('library-program'), 'program.mjs');
    await writeFile(script, `const { classify } = await import(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'index.js'))});
      const run = classify(${JSON.stringify(video)}, { frames: 3 });
      for await (const frame of run) if (frame.status !== 'ok') throw new Error(frame.message);
      if ((await run.report).frames.length !== 3) throw new Error('3 frames expected');\n`);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script], { timeout: 10 * 60_000 });
    await rm(path.dirname(script), { recursive: true, force: true });
    assert.equal(stdout, '');
    assert.equal(stderr, '');
  });
});

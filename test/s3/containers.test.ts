/**
 * Matroska, WebM and MPEG-TS from S3 (s3rver on 127.0.0.1 behind a byte-counting proxy):
 * indexed through mediabunny's demuxers over framescore's own range reader, with the same
 * frames and times as one ffmpeg seek per frame on the file on disk, no frame falling
 * back, and no block read twice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingProxy, type CountingProxy } from '../helpers/s3-counting-proxy.js';
import { putObject, readBytes } from '../helpers/s3-fixtures.js';
import { countSettings, sampleVideo } from '../helpers/s3-sampling.js';
import { startS3rver, type S3rverHandle } from '../helpers/s3rver.js';
import { fixture, type Fixture } from '../helpers/videos.js';

const FILES: readonly [Fixture, string][] = [['h264-copy.mkv', 'Matroska'], ['vp9.webm', 'WebM'], ['h264.ts', 'MPEG-TS']];

let s3: S3rverHandle;
let proxy: CountingProxy;
const sizes = new Map<string, number>();

before(async () => {
  s3 = await startS3rver({ buckets: ['media'] });
  for (const [name] of FILES) {
    const bytes = await readBytes(await fixture(name));
    sizes.set(name, bytes.length);
    await putObject(s3.endpoint, 'media', `clips/${name}`, bytes);
  }
  proxy = await startCountingProxy(s3.port);
});

after(async () => {
  await proxy?.stop();
  await s3?.stop();
});

for (const [name, container] of FILES) {
  test(`${name} from S3 takes the indexed path by byte ranges, frames identical to one seek per frame on disk`, async () => {
    proxy.reset();
    const settings = countSettings(6, false);
    const remote = await sampleVideo(`s3://media/clips/${name}`, { s3Endpoint: proxy.endpoint, env: s3.env }, settings);
    const served = proxy.servedBytes();
    assert.match(remote.notes.join('\n'), new RegExp(`indexed \\d+ frames \\(${container},`));
    assert.doesNotMatch(remote.notes.join('\n'), /took the per-frame seek/);
    const local = await sampleVideo(await fixture(name), {}, settings, 'seek');
    assert.deepEqual(remote.frames.map((frame) => frame.failure), local.frames.map(() => undefined), 'no frame failed');
    // To the microsecond ffmpeg prints: the seek path's subtraction of the start time leaves binary-fraction noise.
    const micro = (time: number | null): number => Math.round((time ?? NaN) * 1e6) / 1e6;
    assert.deepEqual(remote.frames.map((frame) => micro(frame.actualTime)), local.frames.map((frame) => micro(frame.actualTime)));
    for (const [i, frame] of remote.frames.entries()) assert.ok(frame.jpeg?.equals(local.frames[i]!.jpeg!), `frame ${i} is byte-identical`);
    const size = sizes.get(name)!;
    console.log(`# ${name} from S3, indexed: ${(served / 1e3).toFixed(0)} kB served for a ${(size / 1e3).toFixed(0)} kB file (ffprobe included)`);
    // ffprobe reads the start; the demuxer's scan and the GOP reads go through the block cache: nothing much twice.
    assert.ok(served <= size * 1.5 + 256 * 1024, `${served} bytes served of ${size}`);
  });
}

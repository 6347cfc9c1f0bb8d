/**
 * https:// input: read by byte ranges (through the same block-cache relay as
 * S3) from a real TLS server on 127.0.0.1 with a throwaway certificate, giving
 * the same frames as the file on disk. (An untrusted certificate is among the bad-input cases.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHttpsFileServer, type HttpsFileServer } from '../helpers/s3-https-server.js';
import { readBytes, runCli, smallVideo } from '../helpers/s3-fixtures.js';
import { countSettings, sampleVideo } from '../helpers/s3-sampling.js';

let server: HttpsFileServer;
let video: string;
let size: number;

before(async () => {
  video = await smallVideo();
  const bytes = await readBytes(video);
  size = bytes.length;
  server = await startHttpsFileServer({ '/media/clip.mp4': bytes });
});

after(async () => {
  await server?.stop();
});

test('classify https://… reads byte ranges and scores the same frames at the same times as the local file', async () => {
  const url = `${server.origin}/media/clip.mp4`;
  const result = await runCli(['classify', url, '--local', '--frames', '3', '--workers', '1', '-o', '-', '--format', 'json'], { NODE_EXTRA_CA_CERTS: server.certFile });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { video: { source: string; sizeBytes: number }; frames: Array<{ status: string; actualTime: number }> };
  assert.equal(report.video.source, url);
  assert.equal(report.video.sizeBytes, size);
  const local = await sampleVideo(video, {}, countSettings(3, false));
  assert.deepEqual(report.frames.map((frame) => frame.actualTime), local.frames.map((frame) => frame.actualTime));
  assert.deepEqual(report.frames.map((frame) => frame.status), ['ok', 'ok', 'ok']);
  assert.ok(server.ranges.length > 1 && server.ranges.every((range) => /^bytes=\d+-\d+$/.test(range)), `only bounded ranges were asked for: ${server.ranges.join(', ')}`);
  // + 1: the first-byte probe before ffprobe.
  assert.ok(server.servedBytes() <= size + 1, `${server.servedBytes()} bytes served of ${size}: no block twice`);
});

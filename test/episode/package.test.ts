/**
 * dist/episode-<arch>.zip as `npm run package:episode` writes it: the bundle,
 * its map and licences, and that CPU's ffprobe stored executable; neither ONNX
 * Runtime nor TF.js; the same bytes from the same commit.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { unzipSync } from 'fflate';
import { elfMachine, nativeEntries, zipEntryModes } from '../../scripts/lambda-zip.js';
import { EPISODE_ARCHITECTURES, FFPROBE_BIN, packageEpisode } from '../../scripts/package-episode.js';
import { tempDir } from '../lambda/fixtures.js';
import { episodePackage } from './offline.js';

const MACHINE = { arm64: 0xb7, x86_64: 0x3e } as const;

test('each architecture\'s zip holds the bundle, its map and licences, and an executable ffprobe for that CPU, within Lambda\'s limits', async () => {
  const work = await tempDir('episode-zips');
  for (const architecture of EPISODE_ARCHITECTURES) {
    const pkg = architecture === 'x86_64' ? await episodePackage() : await packageEpisode(path.join(work, `episode-${architecture}.zip`), architecture);
    const zip = new Uint8Array(await readFile(pkg.out));
    assert.deepEqual(pkg.files, [FFPROBE_BIN, 'index.mjs', 'index.mjs.LEGAL.txt', 'index.mjs.map', 'licenses/ffprobe/NOTICE.txt']);
    assert.equal(zipEntryModes(zip).get(FFPROBE_BIN), 0o100755);
    const entries = unzipSync(zip);
    assert.deepEqual(nativeEntries(entries), [FFPROBE_BIN]);
    assert.equal(elfMachine(entries[FFPROBE_BIN]!), MACHINE[architecture], architecture);
    assert.ok(pkg.zippedBytes < 50 * 1024 * 1024 && pkg.unzippedBytes < 250 * 1024 * 1024, `${architecture}: ${pkg.zippedBytes} / ${pkg.unzippedBytes} bytes`);
    // What went into the bundle, by its source map: the episode code, the AWS SDK, the engine's planning; no inference engines.
    const sources = (JSON.parse(new TextDecoder().decode(entries['index.mjs.map'])) as { sources: string[] }).sources;
    assert.ok(sources.some((source) => source.includes('src/lambda/episode/index.ts')));
    assert.ok(sources.some((source) => source.includes('@aws-sdk/client-eventbridge')));
    assert.deepEqual(sources.filter((source) => /onnxruntime|@tensorflow|nsfwjs/.test(source)), []);
  }
});

test('packaging again gives the same bytes', async () => {
  const first = await episodePackage();
  const again = await packageEpisode(path.join(await tempDir('episode-again'), 'episode-x86_64.zip'), 'x86_64');
  assert.equal(again.sha256, first.sha256);
});

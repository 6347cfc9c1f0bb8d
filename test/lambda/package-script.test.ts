/**
 * `npm run package:lambda` as the README runs it (the script as a subprocess): it writes
 * each architecture's function zip, ONNX Runtime layer and ffmpeg layer, the zip with no
 * native code (ONNX Runtime's binding is in its layer), and prints each with the total.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { nativeEntries } from '../../scripts/lambda-zip.js';
import { ROOT, tempDir } from '../helpers/cli.js';

function packageScript(outDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'package-lambda.js'), '--out-dir', outDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('package:lambda writes the function zips, the ONNX Runtime layers and the ffmpeg layers; the zips hold no native code', async () => {
  const outDir = await tempDir('package-script');
  after(() => rm(outDir, { recursive: true, force: true }));
  const run = await packageScript(outDir);
  assert.equal(run.code, 0, run.stderr);
  const written = (await readdir(outDir)).sort();
  assert.deepEqual(written, ['ffmpeg-layer-arm64.zip', 'ffmpeg-layer-x86_64.zip', 'lambda-arm64.zip', 'lambda-x86_64.zip', 'onnxruntime-layer-arm64.zip', 'onnxruntime-layer-x86_64.zip']);
  for (const architecture of ['arm64', 'x86_64']) {
    assert.deepEqual(nativeEntries(new Uint8Array(await readFile(path.join(outDir, `lambda-${architecture}.zip`)))), [], `lambda-${architecture}.zip`);
    assert.ok(nativeEntries(new Uint8Array(await readFile(path.join(outDir, `onnxruntime-layer-${architecture}.zip`)))).length > 0, `the ${architecture} layer carries the binding`);
    assert.match(run.stdout, new RegExp(`${architecture} function \\+ layers: zipped [\\d.]+ MB, unzipped [\\d.]+ MB of 250\\.00 MB`));
  }
});

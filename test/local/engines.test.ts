/**
 * The inference engines as users run them: ONNX Runtime equals TF.js wasm on photos
 * and video frames; `auto` falls back (and says why) when the binding cannot load;
 * ONNX model directories run in either input layout, and a broken one is a one-line
 * error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { resolveBinaries } from '../../src/media/binaries.js';
import { probeMedia } from '../../src/media/probe.js';
import { runProcess } from '../../src/media/process.js';
import { decodeImage } from '../../src/core/image-decode.js';
import { sha256Hex } from '../../src/core/model-files.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA } from '../../src/core/model-manifest.js';
import { encodeModel, TensorType, type OnnxNode } from '../../src/onnx-export/onnx-proto.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { fixture } from '../helpers/videos.js';

const PHOTOS = ['coffee-224.png', 'chelsea-300x200.png', 'rocket-640x360.png'].map((name) => path.join(ROOT, 'test', 'fixtures', 'photos', name));
const UNLOADABLE = { FRAMESCORE_ONNXRUNTIME_MODULE: '/nonexistent/module.js' };

interface Report {
  video: { source: string; container: string; codec: string; width: number; height: number; rotation: number; frameRate: number; duration: number; stillImage: boolean; sizeBytes?: number };
  run: { scorer: string };
  frames: Array<{ index: number; status: string; scores: Record<string, number>; top: { label: string } }>;
}

/** Several inputs with `-o -` print their reports one after another. */
function reports(stdout: string): Report[] {
  return stdout.split(/\n(?=\{\n {2}"schema")/).map((text) => JSON.parse(text) as Report);
}

async function classify(args: readonly string[], env?: Record<string, string>): Promise<Report[]> {
  const run = await runCli(['classify', ...args, '--local', '--format', 'json', '-o', '-', '--quiet'], { env });
  assert.equal(run.code, 0, run.stderr);
  return reports(run.stdout);
}

function assertSameFrames(actual: Report, expected: Report, what: string, tolerance: number): void {
  assert.equal(actual.frames.length, expected.frames.length, what);
  expected.frames.forEach((frame, i) => {
    const got = actual.frames[i]!;
    assert.equal(got.status, 'ok', `${what} frame ${i}`);
    assert.equal(got.top.label, frame.top.label, `${what} frame ${i} top label`);
    for (const [label, score] of Object.entries(frame.scores)) {
      const diff = Math.abs((got.scores[label] ?? Number.NaN) - score);
      assert.ok(diff <= tolerance, `${what} frame ${i} ${label}: ${got.scores[label]} vs ${score} (|Δ| ${diff})`);
    }
  });
}

/** `name: value` lines of `framescore doctor`. */
function doctorField(stdout: string, name: string): string {
  const line = stdout.split('\n').find((text) => text.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim() ?? '';
}

describe('--backend onnx equals --backend wasm', () => {
  for (const fit of ['crop', 'stretch'] as const) {
    it(`on photos of several sizes (--fit ${fit})`, async () => {
      const [onnx, wasm] = await Promise.all(['onnx', 'wasm'].map((backend) => classify([...PHOTOS, '--fit', fit, '--backend', backend])));
      assert.equal(onnx!.length, PHOTOS.length);
      onnx!.forEach((report, i) => {
        assert.match(report.run.scorer, /onnxruntime/);
        assert.match(wasm![i]!.run.scorer, /tfjs-wasm/);
        assertSameFrames(report, wasm![i]!, `${path.basename(report.video.source)} --fit ${fit}`, 1e-4);
      });
    });
  }

  it('frame by frame on a video', async () => {
    const video = await fixture('h264.mp4');
    const [onnx, wasm] = await Promise.all(['onnx', 'wasm'].map((backend) => classify([video, '--frames', '12', '--backend', backend])));
    assert.equal(onnx![0]!.frames.length, 12);
    assertSameFrames(onnx![0]!, wasm![0]!, 'h264.mp4', 1e-4);
  });
});

describe('when the onnxruntime-node binding cannot load', () => {
  it('auto falls back to TF.js wasm, and --verbose says why', async () => {
    const run = await runCli(['classify', PHOTOS[0]!, '--local', '--verbose', '--format', 'json', '-o', '-'], { env: UNLOADABLE });
    assert.equal(run.code, 0, run.stderr);
    assert.match(reports(run.stdout)[0]!.run.scorer, /tfjs-wasm/);
    assert.match(run.stderr, /engine: local, tfjs-wasm.*; not ONNX Runtime because onnxruntime-node cannot be loaded: .*\/nonexistent\/module\.js/);
  });

  it('--backend onnx exits 2 with one line naming the problem', async () => {
    const run = await runCli(['classify', PHOTOS[0]!, '--local', '--backend', 'onnx', '--format', 'json', '-o', '-'], { env: UNLOADABLE });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^framescore: --backend onnx: onnxruntime-node cannot be loaded: .*\/nonexistent\/module\.js/);
  });

  it('doctor names onnxruntime normally, and the fallback reason when unloadable', async () => {
    const [normal, unloadable] = await Promise.all([runCli(['doctor']), runCli(['doctor'], { env: UNLOADABLE })]);
    assert.equal(normal.code, 0, normal.stderr);
    assert.match(doctorField(normal.stdout, 'engine'), /^onnxruntime \S+ \(cpu, \d+ threads?\)$/);
    assert.equal(unloadable.code, 0, unloadable.stderr);
    assert.match(doctorField(unloadable.stdout, 'engine'), /^tfjs-wasm .*; not ONNX Runtime because onnxruntime-node cannot be loaded: .*\/nonexistent\/module\.js/);
  });
});

/** Per-channel mean → [3, k] weights → softmax, as an ONNX graph taking NCHW or NHWC input of any spatial size. */
const WEIGHTS = [
  [2.5, -1.0, 0.25],
  [-1.5, 3.0, 0.5],
  [0.75, -0.5, -2.0],
] as const;
const LABELS = ['red-ish', 'green-ish', 'blue-ish'];
const NORMALIZATION = { divisor: 127.5, offset: -1 };

function meanMatmulSoftmax(layout: 'NHWC' | 'NCHW', size: number): Uint8Array {
  const pooled: OnnxNode[] = layout === 'NCHW'
    ? [
        { op: 'GlobalAveragePool', name: 'pool', inputs: ['input'], outputs: ['pooled4d'] },
        { op: 'Flatten', name: 'flatten', inputs: ['pooled4d'], outputs: ['pooled'], attributes: { axis: 1 } },
      ]
    : [{ op: 'ReduceMean', name: 'pool', inputs: ['input'], outputs: ['pooled'], attributes: { axes: [1, 2], keepdims: 0 } }];
  const weights = Float32Array.from(WEIGHTS.flat());
  return encodeModel({
    irVersion: 8,
    opset: 13,
    producer: 'framescore-test',
    graphName: `mean-matmul-softmax-${layout}`,
    nodes: [
      ...pooled,
      { op: 'MatMul', name: 'matmul', inputs: ['pooled', 'weights'], outputs: ['logits'] },
      { op: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: ['probabilities'], attributes: { axis: 1 } },
    ],
    initializers: [{ name: 'weights', type: TensorType.FLOAT, dims: [3, LABELS.length], raw: new Uint8Array(weights.buffer) }],
    inputs: [{ name: 'input', shape: layout === 'NCHW' ? ['N', 3, size, size] : ['N', size, size, 3] }],
    outputs: [{ name: 'probabilities', shape: ['N', LABELS.length] }],
  });
}

/** An onnx-model directory; `declared` overrides the digest the manifest claims (to tamper). */
async function onnxModelDir(dir: string, bytes: Uint8Array, layout: 'NHWC' | 'NCHW', size: number, declared = sha256Hex(bytes)): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), bytes);
  const manifest = {
    schema: MANIFEST_SCHEMA, name: path.basename(dir), version: '1', format: 'onnx-model', labels: LABELS,
    input: { width: size, height: size }, normalization: NORMALIZATION,
    files: { 'model.onnx': declared }, sha256: declared, onnx: { file: 'model.onnx', sha256: declared, layout },
  };
  await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return dir;
}

/** The model's input size: small, so float32 sums inside ONNX Runtime stay well within 1e-5 of the float64 reference. */
const SIZE = 32;

/** The model by hand: the photo is already the input size, so preprocessing is normalisation alone (as preprocess.ts does it). */
function referenceScores(pixels: { data: Uint8Array | Uint8ClampedArray }): Record<string, number> {
  const sums = new Float64Array(3);
  for (let i = 0; i < pixels.data.length; i += 1) sums[i % 3]! += Math.fround(Math.fround(pixels.data[i]! / NORMALIZATION.divisor) + NORMALIZATION.offset);
  const means = Array.from(sums, (sum) => sum / (pixels.data.length / 3));
  const logits = LABELS.map((_, k) => means.reduce((acc, mean, c) => acc + mean * WEIGHTS[c]![k]!, 0));
  const top = Math.max(...logits);
  const exps = logits.map((logit) => Math.exp(logit - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return Object.fromEntries(LABELS.map((label, k) => [label, exps[k]! / total]));
}

describe('ONNX model directories', () => {
  let root: string;
  before(async () => { root = await tempDir('engines'); });

  it('an NCHW model scores as computed by hand, and the same model declared NHWC gives the same scores', async () => {
    // Photos scaled to the input size by ffmpeg, so framescore's preprocessing is normalisation alone.
    const photos = await Promise.all(PHOTOS.map(async (photo) => {
      const small = path.join(root, `${path.basename(photo, '.png')}-${SIZE}.png`);
      await runProcess(resolveBinaries().ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', photo, '-vf', `scale=${SIZE}:${SIZE}`, '-frames:v', '1', small]);
      return small;
    }));
    const nchw = await onnxModelDir(path.join(root, 'mean-nchw'), meanMatmulSoftmax('NCHW', SIZE), 'NCHW', SIZE);
    const nhwc = await onnxModelDir(path.join(root, 'mean-nhwc'), meanMatmulSoftmax('NHWC', SIZE), 'NHWC', SIZE);
    const [byNchw, byNhwc] = await Promise.all([nchw, nhwc].map((model) => classify([...photos, '--model', model])));
    for (const [i, photo] of photos.entries()) {
      const expected = referenceScores(decodeImage(new Uint8Array(await readFile(photo))));
      for (const [layout, report] of [['NCHW', byNchw![i]!], ['NHWC', byNhwc![i]!]] as const) {
        assert.match(report.run.scorer, /onnxruntime/);
        const scores = report.frames[0]?.scores ?? {};
        for (const label of LABELS) {
          const diff = Math.abs((scores[label] ?? Number.NaN) - expected[label]!);
          assert.ok(diff <= 1e-5, `${path.basename(photo)} ${layout} ${label}: ${scores[label]} vs ${expected[label]} (|Δ| ${diff})`);
        }
      }
    }
  });

  it('a malformed .onnx (with a correct sha256) exits 2 with one line naming the model and the problem', async () => {
    const model = await onnxModelDir(path.join(root, 'random-bytes'), randomBytes(4096), 'NCHW', SIZE);
    const run = await runCli(['classify', PHOTOS[0]!, '--local', '--model', model, '--format', 'json', '-o', '-']);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^framescore: .*random-bytes.*ONNX Runtime cannot load it/);
  });

  it('a tampered .onnx (sha256 mismatch) exits 2 naming the file', async () => {
    const bytes = meanMatmulSoftmax('NCHW', SIZE);
    const model = await onnxModelDir(path.join(root, 'tampered'), bytes, 'NCHW', SIZE, sha256Hex(randomBytes(16)));
    const run = await runCli(['classify', PHOTOS[0]!, '--local', '--model', model, '--format', 'json', '-o', '-']);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /tampered.*model\.onnx fails its sha256 check/);
  });
});

describe('many stills in one run', () => {
  it('score as each does alone, report in the order given, with the facts ffprobe gives', async () => {
    const dir = await tempDir('framescore-stills-');
    const { ffmpeg, ffprobe } = resolveBinaries();
    const jpeg = path.join(dir, 'rocket.jpg');
    await runProcess(ffmpeg, ['-v', 'error', '-y', '-i', PHOTOS[2]!, '-q:v', '3', jpeg], { timeoutMs: 60_000 });
    const unnamed = path.join(dir, 'rocket-jpeg-without-extension');
    await copyFile(jpeg, unnamed);
    // Enough inputs that several are scored at once on the pool's workers.
    const stills = [...PHOTOS, jpeg, unnamed, ...PHOTOS, jpeg, ...PHOTOS];
    const together = await classify(stills);
    assert.deepEqual(together.map((report) => report.video.source), stills);
    const alone = await Promise.all([...PHOTOS, jpeg, unnamed].map(async (still) => (await classify([still]))[0]!));
    for (const report of together) {
      const single = alone.find((candidate) => candidate.video.source === report.video.source)!;
      assert.deepEqual(report.frames, single.frames, report.video.source);
      const probed = await probeMedia(ffprobe, report.video.source, report.video.source);
      const { startTime: _start, lastFrameTime: _last, source: _source, ...facts } = probed;
      assert.deepEqual({ ...report.video, source: undefined }, { ...facts, source: undefined, sizeBytes: report.video.sizeBytes }, report.video.source);
    }
  });
});

/**
 * framescore as a user's project installs it: `npm pack`, the tarball installed
 * into an empty project without dev dependencies, the README's library example
 * run there as an ESM script on the bundled sample, and a TypeScript file
 * type-checked against the shipped declarations. The library's results must
 * equal the CLI's report for the same options.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Report } from '../../src/core/report.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const run = promisify(execFile);
/** Installing ~130 packages from the npm cache takes about a minute on a loaded machine; this bounds a hang, not a speed. */
const LONG = { timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 };

let dir: string;
let project: string;
before(async () => {
  dir = await tempDir('consumer');
  project = path.join(dir, 'project');
  await mkdir(path.join(project, 'samples'), { recursive: true });
  // The tarball from the built tree (`prepare` would rebuild it; the tests run on a fresh build).
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, ...LONG });
  const tarball = path.join(dir, packed.stdout.trim().split('\n').pop()!);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', tarball, '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project, ...LONG });
  await run(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'make-sample-video.js'), path.join(project, 'samples', 'sample.mp4')], LONG);
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** The README's library example: the first js block of its "## Library" section. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Library\n'));
  const code = section === undefined ? undefined : /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code !== undefined, 'README.md has a "## Library" section with a js example');
  assert.ok(code.trimEnd().split('\n').length <= 20, 'the library example fits in 20 lines');
  return code;
}

describe('framescore installed as a library (npm pack → empty project)', () => {
  it('installs without dev dependencies and resolves the package entry to its built index', async () => {
    const modules = await readdir(path.join(project, 'node_modules'));
    for (const dev of ['typescript', 'eslint', 'serverless', 's3rver']) assert.ok(!modules.includes(dev), `${dev} is a dev dependency`);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', 'console.log(import.meta.resolve("framescore"))'], { cwd: project });
    assert.equal(stdout.trim(), `file://${path.join(project, 'node_modules', 'framescore', 'dist', 'src', 'index.js')}`);
  });

  it("the README's example classifies the sample as the CLI does: same frames and times, scores within 1e-6", async () => {
    await writeFile(path.join(project, 'classify.mjs'), await readmeExample());
    const library = await run(process.execPath, ['classify.mjs'], { cwd: project, ...LONG });
    const lines = library.stdout.trimEnd().split('\n');
    assert.match(lines.at(-1)!, /^4\/4 frames scored; wrote report\.json$/);
    const fromLibrary = JSON.parse(await readFile(path.join(project, 'report.json'), 'utf8')) as Report;

    const base = path.join(dir, 'cli');
    const cli = await runCli(['classify', path.join(project, 'samples', 'sample.mp4'), '--local', '--frames', '4', '--format', 'json', '--out', base, '-q']);
    assert.equal(cli.code, 0, cli.stderr);
    const fromCli = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Report;

    assert.equal(fromLibrary.frames.length, 4);
    assert.equal(fromLibrary.run.scorer, fromCli.run.scorer, 'the same inference engine on both sides');
    assert.deepEqual(fromLibrary.model, fromCli.model);
    assert.deepEqual(fromLibrary.sampling, fromCli.sampling);
    assert.deepEqual({ ...fromLibrary.video, source: '' }, { ...fromCli.video, source: '' });
    for (const [i, frame] of fromLibrary.frames.entries()) {
      const other = fromCli.frames[i]!;
      assert.equal(frame.status, 'ok');
      assert.equal(other.status, 'ok');
      assert.deepEqual([frame.index, frame.requestedTime, frame.actualTime], [other.index, other.requestedTime, other.actualTime]);
      if (frame.status !== 'ok' || other.status !== 'ok') continue;
      for (const label of fromCli.model.labels) assert.ok(Math.abs(frame.scores[label]! - other.scores[label]!) <= 1e-6, `frame ${frame.index} ${label}: ${frame.scores[label]} vs ${other.scores[label]}`);
    }
    // Each result was printed as it finished: one line per frame, at the report's times.
    const printed = lines.slice(0, -1).map((line) => Number(/^([\d.]+) s: /.exec(line)?.[1]));
    assert.deepEqual([...printed].sort((a, b) => a - b), fromLibrary.frames.map((frame) => Number(frame.requestedTime.toFixed(2))));
  });

  it('a TypeScript program type-checks against the shipped declarations (node16 resolution), and a wrong option does not', async () => {
    await writeFile(path.join(project, 'check.ts'), [
      "import { classify, openModel, sample, renderReport, InputError, OptionError, type ClassifyOptions, type FrameResult, type Report, type RunEvent } from 'framescore';",
      "const events: RunEvent[] = [];",
      "const options: ClassifyOptions = { every: 5, keyframes: true, model: await openModel(), signal: AbortSignal.timeout(60_000), onEvent: (event) => { events.push(event); } };",
      "const run = classify('samples/sample.mp4', options);",
      "const scored: FrameResult[] = [];",
      "for await (const frame of run.frames) if (frame.status === 'ok') scored.push(frame);",
      "const report: Report = await run.report;",
      "const csv: string = renderReport(report, 'csv');",
      "for await (const frame of sample('samples/sample.mp4', { frames: 2, size: { width: 64, height: 64 } })) console.log(frame.index, frame.status);",
      "const error: Error = new InputError('x');",
      "console.log(csv.length, scored.length, events.length, error instanceof OptionError);",
      "// @ts-expect-error: every is a number of seconds",
      "classify('samples/sample.mp4', { every: '5' });",
      '',
    ].join('\n'));
    await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true,
        // The shipped declarations themselves are checked too (a user's project would have @types/node).
        skipLibCheck: false, typeRoots: [path.join(ROOT, 'node_modules', '@types')], types: ['node'],
      },
      files: ['check.ts'],
    }));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, ...LONG }).then(() => undefined, (error: { stdout: string }) => error.stdout);
    assert.equal(checked, undefined, `tsc reported:\n${checked}`);

    // The same program with a misspelt option must fail: the check above is not vacuous.
    await writeFile(path.join(project, 'wrong.ts'), "import { classify } from 'framescore';\nclassify('x.mp4', { everry: 5 });\n");
    const failed = await run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'ES2022', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), 'wrong.ts'], { cwd: project, ...LONG })
      .then(() => '', (error: { stdout: string }) => error.stdout);
    assert.match(failed, /wrong\.ts\(2,\d+\): error TS\d+: .*'everry' does not exist in type 'ClassifyOptions'/);
  });

  it('ships no test code and no sources beyond the declarations', () => {
    const pkg = path.join(project, 'node_modules', 'framescore');
    assert.ok(existsSync(path.join(pkg, 'dist', 'src', 'index.d.ts')));
    assert.ok(!existsSync(path.join(pkg, 'dist', 'test')));
    assert.ok(!existsSync(path.join(pkg, 'src')));
  });
});

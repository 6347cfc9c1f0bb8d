/**
 * Runs the compiled tests: every dist/test/**\/*.test.js whose TypeScript source
 * still exists (a renamed test leaves a stale .js in dist), two files at a time by default
 * (FRAMESCORE_TEST_JOBS=1 for one at a time). Files may run side by side: each starts its
 * servers on ports of its own and writes only under its own temp dirs; the fixture cache
 * writes each file under a temp name and renames it into place.
 * Node 20's `node --test DIR` would also run helper modules as tests.
 *   node dist/scripts/run-tests.js [dir-or-file-filter ...]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const compiled = path.join(root, 'dist', 'test');
const filters = process.argv.slice(2);
// Two: most files wait on subprocesses (the CLI, ffmpeg, serverless-offline) much of the time.
const jobs = Number(process.env.FRAMESCORE_TEST_JOBS ?? 2);
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error(`run-tests: FRAMESCORE_TEST_JOBS must be a whole number ≥ 1, not "${process.env.FRAMESCORE_TEST_JOBS}"`);
  process.exit(1);
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.test.js')) yield full;
  }
}

const files = [...walk(compiled)]
  .filter((file) => existsSync(path.join(root, 'test', path.relative(compiled, file)).replace(/\.js$/, '.ts')))
  .filter((file) => filters.length === 0 || filters.some((filter) => path.relative(compiled, file).startsWith(filter)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${jobs}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);

/**
 * Runs the compiled tests: every dist/test/**\/*.test.js whose TypeScript source
 * still exists (a renamed test leaves a stale .js in dist), one file at a time.
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
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);

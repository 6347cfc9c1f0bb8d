/**
 * Measures each compiled test file on its own: wall time and CPU time (user + sys of
 * the test process and every child it waited for), so the cost of a file can be read
 * on a machine that other work is loading. One file at a time, in a fresh process.
 *   node dist/scripts/time-tests.js [dir-or-file-filter ...] > times.tsv
 * Prints one tab-separated line per file (file, wall s, cpu s, exit status) and a
 * total per directory. Uses GNU time (/usr/bin/time) for the children's usage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const compiled = path.join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const gnuTime = '/usr/bin/time';

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.test.js')) yield full;
  }
}

if (!existsSync(gnuTime)) {
  console.error(`time-tests: ${gnuTime} is missing (apt-get install time)`);
  process.exit(1);
}
const files = [...walk(compiled)]
  .filter((file) => existsSync(path.join(root, 'test', path.relative(compiled, file)).replace(/\.js$/, '.ts')))
  .filter((file) => filters.length === 0 || filters.some((filter) => path.relative(compiled, file).startsWith(filter)))
  .sort();

const perDir = new Map<string, { wall: number; cpu: number }>();
const usageFile = path.join(tmpdir(), `time-tests-${process.pid}.txt`);
console.log('file\twall_s\tcpu_s\tstatus');
for (const file of files) {
  const name = path.relative(compiled, file);
  const run = spawnSync(gnuTime, ['-o', usageFile, '-f', '%e %U %S', process.execPath, '--test', file], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const last = readFileSync(usageFile, 'utf8').trim().split('\n').at(-1) ?? '';
  const [wall = NaN, user = NaN, sys = NaN] = last.split(' ').map(Number);
  const cpu = user + sys;
  console.log(`${name}\t${wall.toFixed(1)}\t${cpu.toFixed(1)}\t${run.status}`);
  const dir = name.split(path.sep)[0] ?? name;
  const sum = perDir.get(dir) ?? { wall: 0, cpu: 0 };
  perDir.set(dir, { wall: sum.wall + wall, cpu: sum.cpu + cpu });
}
rmSync(usageFile, { force: true });
for (const [dir, sum] of perDir) console.log(`${dir}/\t${sum.wall.toFixed(1)}\t${sum.cpu.toFixed(1)}\t`);

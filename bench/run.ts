/**
 * `npm run bench`: runs every bench/*.bench.ts program (compiled to dist/bench) in
 * turn, each in its own process so one's memory and JIT state do not colour the
 * next. Each prints its own ratios against a baseline it measures in the same run.
 * Pass names to run a subset: `npm run bench -- sampling inference`; flags go to every
 * program run (`npm run bench -- lengths containers --quick`: the 2-minute files).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const flags = process.argv.slice(2).filter((arg) => arg.startsWith('--'));
const programs = readdirSync(here)
  .filter((name) => name.endsWith('.bench.js'))
  .filter((name) => wanted.length === 0 || wanted.some((want) => name.startsWith(want)))
  .sort();
let failed = 0;
for (const program of programs) {
  console.log(`\n=== ${program.replace(/\.bench\.js$/, '')} ===`);
  const result = spawnSync(process.execPath, [path.join(here, program), ...flags], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exitCode = failed > 0 ? 1 : 0;

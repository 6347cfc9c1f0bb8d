/**
 * The layout the run engine depends on, read from the sources' imports: the
 * CLI is a shell (flags and output) over src/run, the Lambda fan-out lives in
 * src/run/fleet, the engine never reaches up into the CLI, and the CLI and the
 * function never import each other.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const SRC = path.join(ROOT, 'src');

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.name.endsWith('.ts')) yield full;
  }
}

/** Every module a file imports (static and dynamic), relative ones resolved to paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => (specifier.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier));
}

const files = [...sources(SRC)].map((file) => ({ file: path.relative(SRC, file), imports: importsOf(file) }));

describe('source layout', () => {
  it('the sources were found and their imports read', () => {
    assert.ok(files.some((entry) => entry.file === path.join('run', 'fleet', 'fanout.ts')), 'src/run/fleet/fanout.ts');
    const command = files.find((entry) => entry.file === path.join('cli', 'commands', 'classify.ts'))!;
    assert.ok(command.imports.includes(path.join('run', 'classify.ts')), command.imports.join(', '));
  });

  it('src/run imports nothing from src/cli; src/cli and src/lambda never import each other', () => {
    const wrong = files.flatMap(({ file, imports }) => imports
      .filter((target) => (file.startsWith(`run${path.sep}`) && target.startsWith(`cli${path.sep}`))
        || (file.startsWith(`cli${path.sep}`) && target.startsWith(`lambda${path.sep}`))
        || (file.startsWith(`lambda${path.sep}`) && target.startsWith(`cli${path.sep}`)))
      .map((target) => `${file} → ${target}`));
    // Code both a command and the function need (pure types, key layouts) belongs in src/core (or src/run for I/O).
    assert.deepEqual(wrong, [], `${wrong.join('; ')}: move what both sides need into src/core or src/run`);
  });

  it('src/cli holds no fan-out logic: no fanout folder, and it uses the fleet only through its starter, settings and warm-up', () => {
    assert.equal(existsSync(path.join(SRC, 'cli', 'fanout')), false);
    const allowed = new Set(['start.ts', 'errors.ts', 'client.ts', 'warmup.ts', 'defaults.ts', 'cost.ts', 'batching.ts', 'sampling-refusal.ts'].map((name) => path.join('run', 'fleet', name)));
    const wrong = files.flatMap(({ file, imports }) => (file.startsWith(`cli${path.sep}`) ? imports : [])
      .filter((target) => target === 'p-limit' || (target.startsWith(path.join('run', 'fleet') + path.sep) && !allowed.has(target)))
      .map((target) => `${file} → ${target}`));
    assert.deepEqual(wrong, []);
  });

  it('src/core is pure code both sides share: no subprocesses, no AWS SDK, nothing from the other layers', () => {
    const wrong = files.filter(({ file }) => file.startsWith(`core${path.sep}`)).flatMap(({ file, imports }) => imports
      .filter((target) => target === 'node:child_process' || target.startsWith('@aws-sdk/') || target.startsWith('@smithy/')
        || ['cli', 'lambda', 'run', 'media', 'api', 'report'].some((layer) => target.startsWith(`${layer}${path.sep}`)))
      .map((target) => `${file} → ${target}`));
    assert.deepEqual(wrong, []);
  });

  it('the run engine is a library: no commander, no progress bars, no process.exit, no writes to stdout or stderr', () => {
    const wrong = files.filter(({ file }) => file.startsWith(`run${path.sep}`) || file.startsWith(`api${path.sep}`)).flatMap(({ file, imports }) => {
      const text = readFileSync(path.join(SRC, file), 'utf8');
      const found = [
        ...imports.filter((target) => target === 'commander' || target === 'cli-progress'),
        ...['process.exit', 'process.stdout', 'process.stderr', 'console.'].filter((call) => text.includes(call)),
      ];
      return found.map((what) => `${file}: ${what}`);
    });
    assert.deepEqual(wrong, []);
  });
});

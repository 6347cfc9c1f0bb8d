/**
 * What the packaging scripts share on their command line: `--name value` options and the
 * `--arch` choice (one architecture, or all of them).
 */

/** The value after `--name` on the command line, if it is there. */
export function option(name: string): string | undefined {
  const flag = process.argv.indexOf(name);
  return flag >= 0 ? process.argv[flag + 1] : undefined;
}

/** `--arch X` as the one architecture to build, else every one; throws naming the choices. */
export function architecturesFromArgs<A extends string>(all: readonly A[]): readonly A[] {
  const arch = option('--arch');
  if (arch === undefined) return all;
  if (!(all as readonly string[]).includes(arch)) throw new Error(`--arch must be ${all.join(' or ')}, not "${arch}"`);
  return [arch as A];
}

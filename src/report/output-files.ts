/**
 * Every file and directory framescore writes (reports, HTML, run index, frames,
 * JUnit) goes through here. A regular file is replaced atomically (a temporary
 * file in the same directory, then rename); anything else at the path (a
 * device, a FIFO, a symlink) is opened and written through, never replaced:
 * `-o /dev/null` as root must not turn the machine's /dev/null into a file.
 */
import { constants } from 'node:fs';
import { access, lstat, readlink, mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';

/** An output that cannot be written. main.ts maps it to exit 2 before a run; after one, classify falls back. */
export class OutputError extends Error {
  override name = 'OutputError';
  constructor(readonly output: string, readonly reason: string, options?: ErrorOptions) {
    super(`cannot write "${output}": ${reason}`, options);
  }
}

/** Names that mean this process's stdout; they are written to the stdout stream, not opened. */
const STDOUT_NAMES = new Set(['-', '/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);

export function isStdoutPath(file: string): boolean {
  return STDOUT_NAMES.has(file);
}

/** What an errno means to a person, with the code for searching. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const words: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system',
    ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', ENOTDIR: 'a parent is not a directory',
    EISDIR: 'it is a directory', ENOENT: 'the file system does not allow creating it', ENXIO: 'no reader on the other end',
    EEXIST: 'it already exists', EIO: 'input/output error', ENAMETOOLONG: 'the name is too long', ELOOP: 'too many symbolic links',
  };
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return `${words[code] ?? 'cannot write'} (${code})`;
}

/**
 * mkdir -p, one level at a time. Node 20's `mkdir(..., { recursive: true })`
 * loops for ever under /proc (ENOENT on a parent that exists); here every
 * failure ends the walk with an OutputError naming the directory.
 */
export async function makeDirectory(dir: string, output = dir): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      if (!(await stat(at)).isDirectory()) throw new OutputError(output, `"${at}" is not a directory`);
      break;
    } catch (error) {
      if (error instanceof OutputError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || path.dirname(at) === at) throw new OutputError(output, `"${at}": ${describeFsError(error)}`, { cause: error });
      missing.unshift(at);
    }
  }
  for (const at of missing) {
    try {
      await mkdir(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(at).catch(() => undefined))?.isDirectory()) continue;
      throw new OutputError(output, `cannot create directory "${at}": ${describeFsError(error)}`, { cause: error });
    }
  }
}

/** What is at a path, without following a symlink; undefined when nothing is. */
async function whatIsAt(file: string): Promise<'regular' | 'through' | 'directory' | 'socket' | undefined> {
  let info;
  try {
    info = await lstat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new OutputError(file, describeFsError(error), { cause: error });
  }
  if (info.isFile()) return 'regular';
  if (info.isDirectory()) return 'directory';
  if (info.isSocket()) return 'socket';
  if (info.isSymbolicLink()) {
    // Written through; what the link points at decides whether that can work.
    const target = await stat(file).catch(() => undefined);
    if (target?.isDirectory()) return 'directory';
    if (target?.isSocket()) return 'socket';
  }
  return 'through';
}

/** Proves a directory takes new files: creates it (and its parents) and a probe file in it. */
export async function checkOutputDirectory(dir: string): Promise<void> {
  await makeDirectory(dir);
  const probe = path.join(dir, `.framescore-check-${process.pid}`);
  try {
    const handle = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    await handle.close();
  } catch (error) {
    throw new OutputError(dir, describeFsError(error), { cause: error });
  }
  await unlink(probe).catch(() => {});
}

/**
 * Checks before a run that `file` can be written: stdout always can; a regular
 * file or a new name needs a directory that takes new files; a device, FIFO or
 * symlink must be writable where it is (a FIFO is not opened here: that would
 * wait for a reader).
 */
export async function checkOutputFile(file: string): Promise<void> {
  if (isStdoutPath(file)) return;
  const kind = await whatIsAt(file);
  if (kind === 'directory') throw new OutputError(file, 'it is a directory');
  if (kind === 'socket') throw new OutputError(file, 'it is a socket');
  // A dangling symlink is written through to a new file: its directory must take one.
  const dangling = kind === 'through' && (await stat(file).catch(() => undefined)) === undefined;
  if (kind === 'through' && !dangling) {
    try {
      await access(file, constants.W_OK);
    } catch (error) {
      throw new OutputError(file, describeFsError(error), { cause: error });
    }
    return;
  }
  const dir = path.dirname(dangling ? path.resolve(path.dirname(file), await readlink(file)) : path.resolve(file));
  await checkOutputDirectory(dir).catch((error: unknown) => { throw retarget(error, file); });
}

function retarget(error: unknown, file: string): unknown {
  return error instanceof OutputError ? new OutputError(file, error.reason, { cause: error }) : error;
}

/**
 * Writes `content` to `file`: stdout names go to `stdout`; a regular file (or
 * a new one) appears whole or not at all; a device, FIFO or symlink is written
 * through. Failures are OutputErrors naming the file.
 */
export async function writeOutputFile(file: string, content: string | Uint8Array, stdout?: Writable): Promise<void> {
  if (isStdoutPath(file) && stdout !== undefined) {
    await new Promise<void>((resolve, reject) => stdout.write(content, (error) => { if (error) reject(error); else resolve(); }));
    return;
  }
  const kind = await whatIsAt(file);
  if (kind === 'directory') throw new OutputError(file, 'it is a directory');
  if (kind === 'socket') throw new OutputError(file, 'it is a socket');
  if (kind === 'through') {
    try {
      await writeFile(file, content);
    } catch (error) {
      throw new OutputError(file, describeFsError(error), { cause: error });
    }
    return;
  }
  const dir = path.dirname(path.resolve(file));
  await makeDirectory(dir, file);
  const temp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    await writeFile(temp, content, { flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw new OutputError(file, describeFsError(error), { cause: error });
  }
}

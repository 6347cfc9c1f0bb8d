/**
 * Deterministic zips for the Lambda package and its layers: sorted entries, one
 * fixed timestamp, fixed permissions, so the same commit always gives the same sha256.
 */
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';

/** Local-time components are what a zip stores, so building the date from them is time-zone proof. */
const FIXED_MTIME = new Date(2020, 0, 1, 0, 0, 0);
/** Regular file, rw-r--r--: Lambda runs code as a user that is neither owner nor group. */
const FILE_MODE = 0o100644;
/** Regular file, rwxr-xr-x: Lambda keeps a zip entry's Unix mode, so a layer's binary must carry it. */
const EXECUTABLE_MODE = 0o100755;
const UNIX = 3;

/** Every file under dir, as sorted relative paths with forward slashes. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * Zips name → bytes entries in sorted order with a fixed timestamp and mode:
 * 0755 for the names in executables, 0644 for the rest.
 */
export function zipFiles(files: ReadonlyMap<string, Uint8Array>, executables: ReadonlySet<string> = new Set()): { zip: Uint8Array; unzippedBytes: number; names: string[] } {
  for (const name of executables) if (!files.has(name)) throw new Error(`executable ${name} is not among the files to zip`);
  const names = [...files.keys()].sort();
  const entries: Zippable = {};
  let unzippedBytes = 0;
  for (const name of names) {
    const data = files.get(name)!;
    unzippedBytes += data.byteLength;
    const mode = executables.has(name) ? EXECUTABLE_MODE : FILE_MODE;
    // External attributes: the Unix mode lives in the high 16 bits when "made by" is Unix.
    entries[name] = [data, { mtime: FIXED_MTIME, os: UNIX, attrs: (mode << 16) >>> 0, level: 9 }];
  }
  return { zip: zipSync(entries), unzippedBytes, names };
}

/** Every file under dir, read into memory, keyed by prefix + relative path. */
export async function readTree(dir: string, prefix = ''): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const name of await listFiles(dir)) files.set(`${prefix}${name}`, new Uint8Array(await readFile(path.join(dir, name))));
  return files;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const MACHO_MAGICS = [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe];

/**
 * Names of entries that are native code: .node addons or ELF / Mach-O binaries.
 * Accepts a zip or its already-unzipped entries.
 */
export function nativeEntries(zip: Uint8Array | Readonly<Record<string, Uint8Array>>): string[] {
  const found: string[] = [];
  for (const [name, data] of Object.entries(zip instanceof Uint8Array ? unzipSync(zip) : zip)) {
    const elf = ELF_MAGIC.every((byte, i) => data[i] === byte);
    const magic = data.byteLength >= 4 ? new DataView(data.buffer, data.byteOffset, 4).getUint32(0) : 0;
    if (name.endsWith('.node') || elf || MACHO_MAGICS.includes(magic)) found.push(name);
  }
  return found.sort();
}

/** An ELF file's e_machine (0x3e x86-64, 0xb7 aarch64), or undefined for anything else. */
export function elfMachine(data: Uint8Array): number | undefined {
  if (data.byteLength < 20 || !ELF_MAGIC.every((byte, i) => data[i] === byte)) return undefined;
  // EI_DATA (byte 5): 1 little-endian, 2 big-endian; e_machine is the half-word at 18.
  return new DataView(data.buffer, data.byteOffset, 20).getUint16(18, data[5] === 1);
}

const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;

/**
 * Entry name → Unix mode (e.g. 0o100755) from the zip's central directory, for
 * entries made on Unix (fflate's unzip does not report external attributes).
 */
export function zipEntryModes(zip: Uint8Array): Map<string, number> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = zip.byteLength - 22;
  while (end >= 0 && view.getUint32(end, true) !== END_OF_CENTRAL_DIRECTORY) end--;
  if (end < 0) throw new Error('not a zip: no end-of-central-directory record');
  const count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  const modes = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    if (view.getUint32(offset, true) !== CENTRAL_HEADER) throw new Error(`zip central directory entry ${i} is corrupt`);
    const madeBy = view.getUint16(offset + 4, true) >> 8;
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const attributes = view.getUint32(offset + 38, true);
    const name = new TextDecoder().decode(zip.subarray(offset + 46, offset + 46 + nameLength));
    if (madeBy === UNIX) modes.set(name, attributes >>> 16);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return modes;
}

/** Writes a zip's entries into dir (which should be empty), keeping their Unix permissions, like `unzip`. */
export async function extractZip(zip: Uint8Array, dir: string): Promise<void> {
  const modes = zipEntryModes(zip);
  for (const [name, data] of Object.entries(unzipSync(zip))) {
    const target = path.join(dir, name);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`zip entry ${name} escapes the target directory`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
    const mode = modes.get(name);
    if (mode !== undefined) await chmod(target, mode & 0o777);
  }
}

/**
 * The regular files of a gzipped tar archive (an npm tarball), read in memory:
 * ustar names with their prefix field, sizes in octal; directories, links and
 * pax/GNU metadata entries are skipped.
 */
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

function field(header: Uint8Array, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** Entry name → bytes for every regular file in a .tgz. */
export function readTgz(tgz: Uint8Array): Map<string, Uint8Array> {
  const tar = new Uint8Array(gunzipSync(tgz));
  const files = new Map<string, Uint8Array>();
  for (let offset = 0; offset + BLOCK <= tar.byteLength; ) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar entry at byte ${offset} has a bad size field`);
    const type = field(header, 156, 1);
    const prefix = field(header, 257, 6).startsWith('ustar') ? field(header, 345, 155) : '';
    const name = prefix === '' ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`;
    const start = offset + BLOCK;
    if (start + size > tar.byteLength) throw new Error(`tar entry ${name} is truncated`);
    if (type === '0' || type === '') files.set(name, tar.slice(start, start + size));
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

/** ISO base media (MP4/MOV) box headers: just enough structure to find and walk `moov`. */

export interface Box {
  readonly type: string;
  /** Where the payload starts and the box ends, relative to the buffer (or file) walked. */
  readonly start: number;
  readonly end: number;
}

/** The header at `offset` of `bytes` (8 or 16 bytes), or undefined when it is not a plausible box. */
export function readBoxHeader(bytes: Buffer, offset: number, limit: number): Box | undefined {
  if (offset + 8 > bytes.length) return undefined;
  let size = bytes.readUInt32BE(offset);
  const type = bytes.toString('latin1', offset + 4, offset + 8);
  if (!/^[\x20-\x7e]{4}$/.test(type)) return undefined;
  let header = 8;
  if (size === 1) {
    if (offset + 16 > bytes.length) return undefined;
    size = Number(bytes.readBigUInt64BE(offset + 8));
    header = 16;
  } else if (size === 0) {
    size = limit - offset;
  }
  if (size < header || offset + size > limit) return undefined;
  return { type, start: offset + header, end: offset + size };
}

/** The child boxes of a payload (`start`..`end` of `bytes`); stops at the first malformed header. */
export function* childBoxes(bytes: Buffer, start: number, end: number): Generator<Box> {
  let offset = start;
  while (offset + 8 <= end) {
    const box = readBoxHeader(bytes, offset, end);
    if (box === undefined) return;
    yield box;
    offset = box.end;
  }
}

export function findChild(bytes: Buffer, parent: Box, type: string): Box | undefined {
  for (const box of childBoxes(bytes, parent.start, parent.end)) if (box.type === type) return box;
  return undefined;
}

/** Follows a path of box types below `parent`, taking the first match at each level. */
export function findPath(bytes: Buffer, parent: Box, path: readonly string[]): Box | undefined {
  let box: Box | undefined = parent;
  for (const type of path) {
    box = findChild(bytes, box, type);
    if (box === undefined) return undefined;
  }
  return box;
}

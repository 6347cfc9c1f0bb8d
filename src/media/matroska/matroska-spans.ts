/**
 * The byte ranges of Matroska/WebM frames, for the function's decode jobs. mediabunny
 * numbers a packet by its cluster's data start plus its place among the track's blocks
 * there, so a run of consecutive numbers is one cluster and its first number, when the
 * cluster's first element (its Timestamp, or a CRC-32) sits there, is where the cluster's data begins.
 * The block headers from there give each frame's data: the length-prefixed (or VP9)
 * frame as stored, which the function cuts out as it does MP4 samples. A group it cannot
 * lay out (laced blocks, an unexpected layout) says why and takes the per-frame seek.
 */
import type { DemuxedIndex } from './matroska-index.js';
import type { ByteSource } from '../source/byte-source.js';

type Spans = { readonly offsets: number[]; readonly sizes: number[] } | string;

const TIMESTAMP = 0xe7;
const SIMPLE_BLOCK = 0xa3;
const BLOCK_GROUP = 0xa0;
const BLOCK = 0xa1;
/** ffmpeg's Matroska muxer starts each cluster with a CRC-32 (WebM has none). */
const CRC32 = 0xbf;
/** What a cluster holds besides blocks; any other element ends it (a cluster of unknown size). */
const CLUSTER_CHILDREN = new Set([TIMESTAMP, CRC32, SIMPLE_BLOCK, BLOCK_GROUP, 0xa7, 0xab, 0x5854, 0xaf, 0xec]);
const FIRST_READ_BYTES = 256 * 1024;
const MAX_CLUSTER_BYTES = 64 * 1024 * 1024;

/** Spans for each planned group (first..last decode index), keyed `first:last`. */
export async function matroskaSpans(source: Pick<ByteSource, 'size' | 'read'>, index: Pick<DemuxedIndex, 'packetPlace' | 'trackNumber'>, groups: ReadonlyArray<readonly [number, number]>): Promise<Map<string, Spans>> {
  const clusters = new Map<number, Promise<Array<{ offset: number; size: number }> | string>>();
  const spans = new Map<string, Spans>();
  for (const [first, last] of groups) {
    const offsets: number[] = [];
    const sizes: number[] = [];
    let why: string | undefined;
    for (let frame = first; frame <= last && why === undefined; frame += 1) {
      const place = index.packetPlace(frame);
      let start = frame;
      while (start > 0 && index.packetPlace(start - 1).sequence === index.packetPlace(start).sequence - 1 && index.packetPlace(start - 1).run === place.run) start -= 1;
      const data = index.packetPlace(start).sequence;
      const need = place.sequence - data + 1;
      let blocks = clusters.get(data);
      if (blocks === undefined) {
        blocks = clusterBlocks(source, data, index.trackNumber, need);
        clusters.set(data, blocks);
      }
      let found = await blocks;
      if (typeof found !== 'string' && found.length < need) {
        blocks = clusterBlocks(source, data, index.trackNumber, need);
        clusters.set(data, blocks);
        found = await blocks;
      }
      const block = typeof found === 'string' ? undefined : found[need - 1];
      if (typeof found === 'string') why = found;
      else if (block === undefined || block.size !== place.bytes) why = 'its blocks are not where the index places them';
      else {
        offsets.push(block.offset);
        sizes.push(block.size);
      }
    }
    spans.set(`${first}:${last}`, why ?? { offsets, sizes });
  }
  return spans;
}

/** The data of the first `need` blocks of `track` in the cluster whose data starts at `data`. */
async function clusterBlocks(source: Pick<ByteSource, 'size' | 'read'>, data: number, track: number, need: number): Promise<Array<{ offset: number; size: number }> | string> {
  for (let length = FIRST_READ_BYTES; ; length *= 2) {
    const bytes = await source.read(data, Math.min(length, source.size - data));
    if (bytes[0] !== TIMESTAMP && bytes[0] !== CRC32) return 'its cluster was not found where the index places it';
    const blocks = parseBlocks(bytes, data, track, need);
    if (typeof blocks === 'string') return blocks;
    const complete = blocks.length >= need || data + bytes.length >= source.size || blocks.ended;
    if (complete) return blocks.list;
    if (length >= MAX_CLUSTER_BYTES) return 'its cluster is too large to read at once';
  }
}

function parseBlocks(bytes: Buffer, data: number, track: number, need: number): { list: Array<{ offset: number; size: number }>; ended: boolean; length: number } | string {
  const list: Array<{ offset: number; size: number }> = [];
  const block = (from: number, end: number): string | undefined => {
    const number = vint(bytes, from, false);
    if (number === undefined) return 'a block header is damaged';
    if (number.value !== track) return undefined;
    const flags = bytes[from + number.length + 2];
    if (flags === undefined) return 'a block header is damaged';
    if ((flags & 0x06) !== 0) return 'its video blocks are laced';
    const offset = from + number.length + 3;
    list.push({ offset: data + offset, size: end - offset });
    return undefined;
  };
  const walk = (from: number, to: number, inGroup: boolean): { ended: boolean } | string => {
    for (let at = from; at < to && list.length < need;) {
      const id = vint(bytes, at, true);
      const size = id === undefined ? undefined : vint(bytes, at + id.length, false);
      if (id === undefined || size === undefined) return { ended: false };
      if (!inGroup && !CLUSTER_CHILDREN.has(id.value)) return { ended: true };
      const body = at + id.length + size.length;
      const end = body + size.value;
      if (size.unknown || end > bytes.length) return { ended: false };
      if (!inGroup && id.value === SIMPLE_BLOCK) {
        const problem = block(body, end);
        if (problem !== undefined) return problem;
      } else if (!inGroup && id.value === BLOCK_GROUP) {
        const inner = walk(body, end, true);
        if (typeof inner === 'string') return inner;
      } else if (inGroup && id.value === BLOCK) {
        const problem = block(body, end);
        if (problem !== undefined) return problem;
      }
      at = end;
    }
    return { ended: false };
  };
  const walked = walk(0, bytes.length, false);
  return typeof walked === 'string' ? walked : { list, ended: walked.ended, length: list.length };
}

/** An EBML variable-length integer at `at`: an element ID keeps its marker bit, a size drops it. */
function vint(bytes: Buffer, at: number, isId: boolean): { value: number; length: number; unknown: boolean } | undefined {
  const first = bytes[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (length > 8 || at + length > bytes.length) return undefined;
  let value = isId ? first : first & (0xff >> length);
  let ones = value === (0xff >> length);
  for (let i = 1; i < length; i += 1) {
    value = value * 256 + bytes[at + i]!;
    ones &&= bytes[at + i] === 0xff;
  }
  return { value, length, unknown: !isId && ones };
}

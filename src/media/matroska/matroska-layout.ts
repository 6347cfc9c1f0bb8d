/**
 * Where things are in a Matroska/WebM file: the Segment's data, its timestamp scale, its
 * first Cluster and its Cues (where the SeekHead says, or before the first Cluster). Each
 * cue gives a keyframe's time, its cluster and, when the muxer wrote it (ffmpeg and
 * mkvmerge do), the block's place in the cluster, so a walk can start at the keyframe.
 */
import { elementHeader, ID, MAX_HEADER_BYTES, unsignedAt, type WindowReader } from './ebml.js';

export interface CuePoint {
  /** In the Segment's ticks. */
  readonly time: number;
  /** File offset of the Cluster element. */
  readonly cluster: number;
  /** Offset of the block from the start of the cluster's data, when written. */
  readonly relative: number | undefined;
}

export interface MatroskaLayout {
  readonly segmentStart: number;
  /** Where the Segment ends (the file's end when its size is unknown). */
  readonly segmentEnd: number;
  /** Nanoseconds per tick. */
  readonly timestampScale: number;
  readonly firstCluster: number;
  /** The video track's cues by time (every track's when none name it); empty when the file has none. */
  readonly cues: readonly CuePoint[];
}

/** The Cues and SeekHead are small; more than this means a strange file. */
const MAX_META_BYTES = 64 * 1024 * 1024;
const MAX_SEGMENT_CHILDREN = 1000;

export async function readMatroskaLayout(reader: WindowReader, track: number): Promise<MatroskaLayout | string> {
  const size = reader.source.size;
  const ebml = elementHeader(await reader.peek(0, MAX_HEADER_BYTES), 0);
  if (ebml?.id !== ID.EBML || ebml.size === undefined) return 'no EBML header';
  const segmentAt = ebml.headerLength + ebml.size;
  const segment = elementHeader(await reader.peek(segmentAt, MAX_HEADER_BYTES), 0);
  if (segment?.id !== ID.SEGMENT) return 'no Segment';
  const segmentStart = segmentAt + segment.headerLength;
  const segmentEnd = segment.size === undefined ? size : Math.min(size, segmentStart + segment.size);
  let timestampScale = 1_000_000;
  let cuesAt: number | undefined;
  let firstCluster: number | undefined;
  let at = segmentStart;
  for (let count = 0; count < MAX_SEGMENT_CHILDREN && at < segmentEnd && firstCluster === undefined; count += 1) {
    const header = elementHeader(await reader.peek(at, MAX_HEADER_BYTES), 0);
    if (header === undefined) return `a damaged element at byte ${at}`;
    const body = at + header.headerLength;
    if (header.id === ID.CLUSTER) firstCluster = at;
    else if (header.size === undefined) return `an element of unknown size at byte ${at}`;
    else if (header.id === ID.INFO) timestampScale = (await childUnsigned(reader, body, header.size, ID.TIMESTAMP_SCALE)) ?? timestampScale;
    else if (header.id === ID.CUES) cuesAt = at;
    else if (header.id === ID.SEEK_HEAD && cuesAt === undefined) cuesAt = await seekTarget(reader, body, header.size, ID.CUES, segmentStart);
    at = body + (header.size ?? 0);
  }
  if (firstCluster === undefined) return 'no Cluster';
  const cues = cuesAt === undefined ? [] : await readCues(reader, cuesAt, segmentStart, track);
  return { segmentStart, segmentEnd, timestampScale, firstCluster, cues };
}

/** The children of an element's body, read whole (only for small elements: Info, SeekHead, Cues). */
async function children(reader: WindowReader, body: number, size: number): Promise<Array<{ id: number; data: Buffer }>> {
  if (size > MAX_META_BYTES) return [];
  return childrenOf(await reader.source.read(body, size));
}

function childrenOf(bytes: Buffer): Array<{ id: number; data: Buffer }> {
  const list: Array<{ id: number; data: Buffer }> = [];
  for (let at = 0; at < bytes.length;) {
    const header = elementHeader(bytes, at);
    if (header?.size === undefined) break;
    const start = at + header.headerLength;
    list.push({ id: header.id, data: bytes.subarray(start, start + header.size) });
    at = start + header.size;
  }
  return list;
}

async function childUnsigned(reader: WindowReader, body: number, size: number, id: number): Promise<number | undefined> {
  const child = (await children(reader, body, size)).find((element) => element.id === id);
  return child === undefined ? undefined : unsignedAt(child.data, 0, child.data.length);
}

/** Where the SeekHead says element `id` is (a file offset). */
async function seekTarget(reader: WindowReader, body: number, size: number, id: number, segmentStart: number): Promise<number | undefined> {
  for (const seek of await children(reader, body, size)) {
    if (seek.id !== ID.SEEK) continue;
    const fields = childrenOf(seek.data);
    const seekId = fields.find((field) => field.id === ID.SEEK_ID)?.data;
    const position = fields.find((field) => field.id === ID.SEEK_POSITION)?.data;
    if (seekId !== undefined && position !== undefined && unsignedAt(seekId, 0, seekId.length) === id) return segmentStart + unsignedAt(position, 0, position.length);
  }
  return undefined;
}

async function readCues(reader: WindowReader, at: number, segmentStart: number, track: number): Promise<CuePoint[]> {
  const header = elementHeader(await reader.peek(at, MAX_HEADER_BYTES), 0);
  if (header?.id !== ID.CUES || header.size === undefined) return [];
  const all: Array<CuePoint & { track: number }> = [];
  for (const point of await children(reader, at + header.headerLength, header.size)) {
    if (point.id !== ID.CUE_POINT) continue;
    const fields = childrenOf(point.data);
    const time = fields.find((field) => field.id === ID.CUE_TIME)?.data;
    if (time === undefined) continue;
    for (const positions of fields) {
      if (positions.id !== ID.CUE_TRACK_POSITIONS) continue;
      const values = new Map(childrenOf(positions.data).map((field) => [field.id, unsignedAt(field.data, 0, field.data.length)]));
      const cluster = values.get(ID.CUE_CLUSTER_POSITION);
      if (cluster === undefined) continue;
      all.push({ time: unsignedAt(time, 0, time.length), cluster: segmentStart + cluster, relative: values.get(ID.CUE_RELATIVE_POSITION), track: values.get(ID.CUE_TRACK) ?? track });
    }
  }
  const own = all.filter((cue) => cue.track === track);
  return (own.length > 0 ? own : all).sort((a, b) => a.time - b.time);
}

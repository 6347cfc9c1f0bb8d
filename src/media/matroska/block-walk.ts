/**
 * A walk over a Matroska file's block headers: each of the video track's blocks gives
 * its frame's file offset and size, its time (the cluster's timestamp plus the block's)
 * and whether it is a keyframe, without reading the frame. A walk may start at a
 * cluster or at a block the Cues point to, and runs on into the next clusters (clusters
 * of unknown size, as live recordings write them, end at the next Segment-level element).
 */
import { elementHeader, ID, MAX_HEADER_BYTES, SEGMENT_CHILDREN, unsignedAt, vint, type WindowReader } from './ebml.js';

export interface BlockFrame {
  /** File offset and size of the frame's data (after the block header). */
  readonly offset: number;
  readonly size: number;
  /** In the Segment's ticks. */
  readonly ticks: number;
  readonly key: boolean;
}

/** A block header: element header, track number, 16-bit timestamp, flags. */
const BLOCK_HEADER_BYTES = MAX_HEADER_BYTES + 8 + 3;
/** Elements a cluster holds besides blocks are small; a BlockGroup's children too. */
const MAX_CLUSTER_HEAD_ELEMENTS = 16;

export class MatroskaWalkError extends Error {
  override readonly name = 'MatroskaWalkError';
}

export class BlockWalk {
  /** The next element to read. */
  position: number;
  private clusterTicks: number | undefined;
  private clusterEnd: number | undefined;

  private constructor(private readonly reader: WindowReader, private readonly track: number, private readonly segmentEnd: number, position: number) {
    this.position = position;
  }

  /** A walk from the Cluster element at `cluster`, or from the block `relative` bytes into its data. */
  static async at(reader: WindowReader, track: number, segmentEnd: number, cluster: number, relative?: number): Promise<BlockWalk> {
    const walk = new BlockWalk(reader, track, segmentEnd, cluster);
    if (relative === undefined) return walk;
    const header = await walk.header(cluster);
    if (header.id !== ID.CLUSTER) throw new MatroskaWalkError(`no Cluster at byte ${cluster}`);
    const data = cluster + header.headerLength;
    walk.enterCluster(data, header.size);
    // The cluster's Timestamp comes first (after a CRC-32); then the walk jumps to the block.
    for (let at = data, count = 0; walk.clusterTicks === undefined && count < MAX_CLUSTER_HEAD_ELEMENTS; count += 1) {
      const child = await walk.header(at);
      const body = at + child.headerLength;
      if (child.size === undefined) break;
      if (child.id === ID.TIMESTAMP) walk.clusterTicks = unsignedAt(await reader.peek(body, child.size), 0, child.size);
      at = body + child.size;
    }
    if (walk.clusterTicks === undefined) throw new MatroskaWalkError(`no Timestamp at the start of the cluster at byte ${cluster}`);
    walk.position = data + relative;
    return walk;
  }

  get ended(): boolean {
    return this.position >= this.segmentEnd;
  }

  /** The next frame of the track, or undefined at the Segment's end. */
  async next(): Promise<BlockFrame | undefined> {
    while (this.position < this.segmentEnd) {
      const at = this.position;
      const header = await this.header(at);
      const body = at + header.headerLength;
      if (this.clusterEnd !== undefined && at >= this.clusterEnd) this.leaveCluster();
      if (header.id === ID.CLUSTER) {
        this.enterCluster(body, header.size);
        this.position = body;
        continue;
      }
      const inCluster = this.clusterTicks !== undefined || this.clusterEnd !== undefined || header.id === ID.TIMESTAMP;
      if (SEGMENT_CHILDREN.has(header.id) || !inCluster) {
        this.leaveCluster();
        if (header.size === undefined) throw new MatroskaWalkError(`an element of unknown size at byte ${at}`);
        this.position = body + header.size;
        continue;
      }
      if (header.size === undefined) throw new MatroskaWalkError(`an element of unknown size at byte ${at}`);
      this.position = body + header.size;
      if (header.id === ID.TIMESTAMP) this.clusterTicks = unsignedAt(await this.reader.peek(body, header.size), 0, header.size);
      else if (header.id === ID.SIMPLE_BLOCK) {
        const frame = await this.block(body, header.size);
        if (frame !== undefined) return { ...frame, key: frame.flags >= 0x80 };
      } else if (header.id === ID.BLOCK_GROUP) {
        const frame = await this.group(body, body + header.size);
        if (frame !== undefined) return frame;
      }
    }
    return undefined;
  }

  private enterCluster(data: number, size: number | undefined): void {
    this.clusterTicks = undefined;
    this.clusterEnd = size === undefined ? undefined : data + size;
  }

  private leaveCluster(): void {
    this.clusterTicks = undefined;
    this.clusterEnd = undefined;
  }

  private async header(at: number) {
    const header = elementHeader(await this.reader.peek(at, MAX_HEADER_BYTES), 0);
    if (header === undefined) throw new MatroskaWalkError(`a damaged element header at byte ${at}`);
    return header;
  }

  /** The block whose body (track number onwards) is at `body`, if it is the track's. */
  private async block(body: number, size: number): Promise<(Omit<BlockFrame, 'key'> & { flags: number }) | undefined> {
    const bytes = await this.reader.peek(body, BLOCK_HEADER_BYTES);
    const number = vint(bytes, 0, false);
    if (number === undefined || bytes.length < number.length + 3) throw new MatroskaWalkError(`a damaged block header at byte ${body}`);
    if (number.value !== this.track) return undefined;
    if (this.clusterTicks === undefined) throw new MatroskaWalkError(`a block before its cluster's Timestamp at byte ${body}`);
    const flags = bytes[number.length + 2]!;
    if ((flags & 0x06) !== 0) throw new MatroskaWalkError('its video blocks are laced');
    const header = number.length + 3;
    return { offset: body + header, size: size - header, ticks: this.clusterTicks + bytes.readInt16BE(number.length), flags };
  }

  /** A BlockGroup's block: a keyframe when nothing is referenced. */
  private async group(from: number, to: number): Promise<BlockFrame | undefined> {
    let frame: Omit<BlockFrame, 'key'> | undefined;
    let references = false;
    for (let at = from, count = 0; at < to && count < MAX_CLUSTER_HEAD_ELEMENTS; count += 1) {
      const child = await this.header(at);
      if (child.size === undefined) throw new MatroskaWalkError(`an element of unknown size at byte ${at}`);
      const body = at + child.headerLength;
      if (child.id === ID.BLOCK) frame = await this.block(body, child.size);
      else if (child.id === ID.REFERENCE_BLOCK) references = true;
      at = body + child.size;
    }
    return frame === undefined ? undefined : { ...frame, key: !references };
  }
}

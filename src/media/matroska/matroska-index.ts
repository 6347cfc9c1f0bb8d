/**
 * The index for Matroska and WebM (and an MPEG-TS framescore's own scan declines), from
 * mediabunny's demuxers (pure TypeScript): one pass over the packet headers gives every
 * frame's presentation time and key flag in decode order, and a GOP's frames are read
 * back as packets. Bytes come through framescore's own ByteSource, so a URL is read by
 * ranges as for MP4. Its timestamps are ffmpeg's for these containers (the identity tests
 * check it). Given the times a run wants, a Matroska/WebM file is not read through: the
 * demuxer finds each time's keyframe from the Cues and reads the packet headers of that
 * group of pictures (and the next keyframe's leading pictures) only, so over S3 or HTTPS
 * the bytes read follow the targets, not the file. MP4 stays with framescore's own sample-table reader: mediabunny's MP4 times
 * differ from ffmpeg's where an edit list hides frames (cut.mp4: it lists the 8 hidden
 * frames, from -0.3 s). MPEG-TS has its own scan (mpeg-ts-index.ts): mediabunny's took
 * 5.3 s on a 10-minute 1080p TS against 0.8 s, with identical times, keys and avcC.
 */
import pLimit from 'p-limit';
import { ALL_FORMATS, EncodedPacketSink, Input, MATROSKA, StreamSource, WEBM, type EncodedPacket, type InputVideoTrack } from 'mediabunny';
import type { ByteSource } from '../source/byte-source.js';
import { segmentFromFrames, type CodedSegment } from '../index/segment.js';
import { aroundNote, flattenRuns, shownByTime, type IndexCodec, type IndexReading, type VideoIndex } from '../index/video-index.js';
import { annexBUnits, avcConfigFrom, hvcConfigFrom, lengthPrefixed } from '../codec/annex-b.js';

const CONTAINERS: Record<string, string> = { Matroska: 'Matroska', WebM: 'WebM', 'MPEG Transport Stream': 'MPEG-TS' };
const CODECS: Partial<Record<string, IndexCodec>> = { avc: 'h264', hevc: 'hevc', vp9: 'vp9' };
/** Reading more than this at once for one walk means a strange file: give up on it. */
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;
/** Keyframe lookups and GOP header reads in flight at once (each a few range reads over HTTP). */
const LOOKUPS_AT_ONCE = 8;
const METADATA = { metadataOnly: true } as const;
/**
 * Indexes a Matroska/WebM/MPEG-TS file; `unsupported` says why it cannot. With `around`
 * (seconds on the stream's timeline), a Matroska/WebM index holds only the frames that
 * answer those times: each one's group of pictures from its keyframe, found by the Cues.
 */
export async function readDemuxedIndex(source: ByteSource, around?: readonly number[]): Promise<IndexReading> {
  // mediabunny may still be prefetching when the input is disposed and the source closed: such reads give nothing, quietly.
  const state = { disposed: false };
  const sparse = around !== undefined && around.length > 0;
  const input = new Input({
    source: new StreamSource({
      getSize: () => source.size,
      read: (start, end) => source.read(start, end - start).catch((error: unknown) => {
        if (state.disposed) return new Uint8Array(end - start);
        throw error;
      }),
      dispose: () => { state.disposed = true; },
      // A full scan: large sequential reads (a TS over HTTP is a few range requests, not thousands).
      // Around targets: small reads near each one, and a cache that holds the groups being read at once.
      prefetchProfile: sparse ? 'fileSystem' : 'network',
      maxCacheSize: (sparse ? 64 : 16) * 1024 * 1024,
    }),
    formats: ALL_FORMATS,
  });
  let keep = false;
  try {
    const format = await input.getFormat().catch(() => undefined);
    const container = format === undefined ? undefined : CONTAINERS[format.name];
    if (container === undefined) return { unsupported: `not an MP4/MOV, Matroska, WebM or MPEG-TS file${format ? ` (${format.name})` : ''}` };
    const track = await input.getPrimaryVideoTrack();
    if (track === null) return { unsupported: 'no video track' };
    const codec = CODECS[track.codec ?? ''];
    if (codec === undefined) return { unsupported: `codec ${track.codec ?? 'unknown'} (only H.264, HEVC and VP9 are indexed outside MP4)` };
    const annexB = container === 'MPEG-TS';
    if (annexB && codec === 'vp9') return { unsupported: 'VP9 in MPEG-TS' };
    const sink = new EncodedPacketSink(track);
    let packets: EncodedPacket[] = [];
    let runs: Uint32Array | undefined;
    if (sparse && !annexB) ({ packets, runs } = await packetsAround(sink, around));
    else for await (const packet of sink.packets(undefined, undefined, METADATA)) packets.push(packet);
    if (packets.length === 0) return { unsupported: 'no frames' };
    let decoderConfig: Buffer;
    let nalLengthSize = 4;
    if (annexB) {
      const first = await sink.getFirstPacket();
      const units = first === null ? [] : annexBUnits(first.data);
      const config = codec === 'h264' ? avcConfigFrom(units) : hvcConfigFrom(units);
      if (config === undefined) return { unsupported: `no ${codec === 'h264' ? 'SPS/PPS' : 'VPS/SPS/PPS'} before the first frame` };
      decoderConfig = config;
    } else {
      const record = await codecRecord(track, codec);
      if (typeof record === 'string') return { unsupported: record };
      ({ decoderConfig, nalLengthSize } = record);
    }
    keep = true;
    return { index: new DemuxedIndex(input, sink, track, { packets, runs }, container, codec, decoderConfig, nalLengthSize, annexB) };
  } finally {
    if (!keep) input.dispose();
  }
}

/** The avcC/hvcC record (empty for VP9) a Matroska track stores as its CodecPrivate, and its NAL length size. */
async function codecRecord(track: InputVideoTrack, codec: IndexCodec): Promise<{ decoderConfig: Buffer; nalLengthSize: number } | string> {
  const description = (await track.getDecoderConfig())?.description;
  const decoderConfig = description === undefined ? Buffer.alloc(0) : Buffer.from(description instanceof ArrayBuffer ? new Uint8Array(description) : new Uint8Array(description.buffer, description.byteOffset, description.byteLength));
  if (codec === 'vp9') return { decoderConfig, nalLengthSize: 4 };
  if (decoderConfig.length < (codec === 'h264' ? 7 : 23)) return `no ${codec === 'h264' ? 'avcC' : 'hvcC'} record`;
  return { decoderConfig, nalLengthSize: ((codec === 'h264' ? decoderConfig[4]! : decoderConfig[21]!) & 3) + 1 };
}

/** What a Matroska/WebM video track is, from mediabunny's reading of the file's head (no clusters are read for it). */
export interface MatroskaTrackFacts {
  readonly container: string;
  /** The Matroska TrackNumber its blocks carry. */
  readonly trackNumber: number;
  readonly codec: IndexCodec;
  readonly decoderConfig: Buffer;
  readonly nalLengthSize: number;
  readonly width: number;
  readonly height: number;
}

export async function matroskaTrackFacts(source: ByteSource): Promise<MatroskaTrackFacts | string> {
  const input = new Input({ source: new StreamSource({ getSize: () => source.size, read: (start, end) => source.read(start, end - start), prefetchProfile: 'none' }), formats: [MATROSKA, WEBM] });
  try {
    const format = await input.getFormat().catch(() => undefined);
    const container = format === undefined ? undefined : CONTAINERS[format.name];
    if (container === undefined) return 'not a Matroska or WebM file';
    const track = await input.getPrimaryVideoTrack();
    if (track === null) return 'no video track';
    const codec = CODECS[track.codec ?? ''];
    if (codec === undefined) return `codec ${track.codec ?? 'unknown'} (only H.264, HEVC and VP9 are indexed outside MP4)`;
    const record = await codecRecord(track, codec);
    if (typeof record === 'string') return record;
    return { container, trackNumber: track.id, codec, ...record, width: track.codedWidth, height: track.codedHeight };
  } finally {
    input.dispose();
  }
}

/**
 * The packets (headers only) that answer `times`: for each time, the group of pictures of
 * the last keyframe at or before it, through the next keyframe and that keyframe's leading
 * pictures (an open GOP's frames shown before it), so the first frame shown at or after the
 * time is among them whichever GOP it is coded in. Groups that meet are joined into one run;
 * `runs` numbers each packet's run, and a walk never crosses from one run to another.
 */
async function packetsAround(sink: EncodedPacketSink, times: readonly number[]): Promise<{ packets: EncodedPacket[]; runs: Uint32Array }> {
  const limit = pLimit(LOOKUPS_AT_ONCE);
  const keys = new Map<number, EncodedPacket>();
  await Promise.all([...new Set(times)].map((time) => limit(async () => {
    const key = (await sink.getKeyPacket(time, METADATA)) ?? (await sink.getFirstPacket(METADATA));
    if (key !== null) keys.set(key.sequenceNumber, key);
  })));
  const groups = await Promise.all([...keys.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber).map((key) => limit(() => groupFrom(sink, key))));
  const joined: EncodedPacket[][] = [];
  for (const group of groups) {
    const last = joined[joined.length - 1];
    const overlap = last?.findIndex((packet) => packet.sequenceNumber === group[0]!.sequenceNumber) ?? -1;
    if (last === undefined || overlap < 0) {
      joined.push(group);
      continue;
    }
    last.length = overlap;
    for (const packet of group) last.push(packet);
  }
  const { items: packets, runs } = flattenRuns(joined);
  return { packets, runs };
}

/** One group of pictures from `key`, with the next keyframe and its leading pictures. */
async function groupFrom(sink: EncodedPacketSink, key: EncodedPacket): Promise<EncodedPacket[]> {
  const group: EncodedPacket[] = [];
  let next: EncodedPacket | undefined;
  for await (const packet of sink.packets(key, undefined, METADATA)) {
    if (next !== undefined && packet.timestamp >= next.timestamp) break;
    if (next === undefined && group.length > 0 && packet.type === 'key') next = packet;
    group.push(packet);
  }
  return group;
}

export class DemuxedIndex implements VideoIndex {
  readonly sampleCount: number;
  readonly times: Float64Array;
  readonly keyframes: Uint8Array;
  readonly shown: Uint32Array;
  readonly width: number;
  readonly height: number;
  readonly partial: string | undefined;
  /** The container's number for the video track (Matroska: its TrackNumber). */
  readonly trackNumber: number;
  private readonly packets: readonly EncodedPacket[];
  /** Which run of contiguous packets each is in, when only the groups around the targets were read. */
  private readonly runs: Uint32Array | undefined;

  constructor(
    private readonly input: Input,
    private readonly sink: EncodedPacketSink,
    track: InputVideoTrack,
    read: { readonly packets: readonly EncodedPacket[]; readonly runs: Uint32Array | undefined },
    readonly container: string,
    readonly codec: IndexCodec,
    readonly decoderConfig: Buffer,
    readonly nalLengthSize: number,
    readonly annexB: boolean,
  ) {
    this.trackNumber = track.id;
    this.packets = read.packets;
    this.runs = read.runs;
    this.partial = read.runs === undefined ? undefined : aroundNote(read.runs[read.runs.length - 1]! + 1);
    const { packets } = read;
    this.sampleCount = packets.length;
    // Microseconds: mediabunny's seconds are exact tick ratios; ffmpeg prints six decimals.
    this.times = Float64Array.from(packets, (packet) => Math.round(packet.timestamp * 1e6) / 1e6);
    this.keyframes = Uint8Array.from(packets, (packet) => (packet.type === 'key' ? 1 : 0));
    this.shown = shownByTime(this.times);
    this.width = track.codedWidth;
    this.height = track.codedHeight;
  }

  async readFrames(start: number, targets: readonly number[]): Promise<CodedSegment | string> {
    const target = Math.max(...targets);
    if (this.runs !== undefined && this.runs[start] !== this.runs[target]) return 'its keyframe was not read with it';
    let bytes = 0;
    for (let sample = start; sample <= target; sample += 1) bytes += this.packets[sample]!.byteLength;
    if (bytes > MAX_SEGMENT_BYTES) return 'its group of pictures is too large to read at once';
    const first = await this.packetWithData(start);
    if (typeof first === 'string') return first;
    const data: Buffer[] = [];
    for await (const packet of this.sink.packets(first, this.packets[target + 1])) {
      if (packet.sequenceNumber !== this.packets[start + data.length]!.sequenceNumber) return 'its packets changed between indexing and reading';
      data.push(this.annexB ? lengthPrefixed(annexBUnits(packet.data)) : Buffer.from(packet.data.buffer, packet.data.byteOffset, packet.data.byteLength));
      if (data.length > target - start) break;
    }
    if (data.length !== target - start + 1) return 'the file ended early';
    return segmentFromFrames(data, start, { sampleCount: this.sampleCount, times: this.times, nalLengthSize: this.nalLengthSize, codec: this.codec }, targets);
  }

  /** Packet `sample` with its bytes: after the one before it in the same run, else the keyframe found again by its time. */
  private async packetWithData(sample: number): Promise<EncodedPacket | string> {
    const wanted = this.packets[sample]!;
    let found: EncodedPacket | null;
    if (sample > 0 && (this.runs === undefined || this.runs[sample - 1] === this.runs[sample])) found = await this.sink.getNextPacket(this.packets[sample - 1]!);
    else if (this.runs === undefined || wanted.type !== 'key') found = await this.sink.getFirstPacket();
    else found = await this.sink.getKeyPacket(wanted.timestamp);
    if (found === null) return 'the file ended early';
    return found.sequenceNumber === wanted.sequenceNumber ? found : 'its keyframe was not found again by its time';
  }

  close(): Promise<void> {
    this.input.dispose();
    return Promise.resolve();
  }
}

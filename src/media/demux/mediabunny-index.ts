/**
 * The index for Matroska and WebM (and an MPEG-TS framescore's own scan declines), from
 * mediabunny's demuxers (pure TypeScript): one pass over the packet headers gives every
 * frame's presentation time and key flag in decode order, and a GOP's frames are read
 * back as packets. Bytes come through framescore's own ByteSource, so a URL is read by
 * ranges as for MP4. Its timestamps are ffmpeg's for these containers (the identity tests
 * check it). MP4 stays with framescore's own sample-table reader: mediabunny's MP4 times
 * differ from ffmpeg's where an edit list hides frames (cut.mp4: it lists the 8 hidden
 * frames, from -0.3 s). MPEG-TS has its own scan (mpeg-ts-index.ts): mediabunny's took
 * 5.3 s on a 10-minute 1080p TS against 0.8 s, with identical times, keys and avcC.
 */
import { ALL_FORMATS, EncodedPacketSink, Input, StreamSource, type EncodedPacket, type InputVideoTrack } from 'mediabunny';
import type { ByteSource } from '../source/byte-source.js';
import { segmentFromFrames, type CodedSegment } from '../mp4/segment.js';
import { shownByTime, type IndexCodec, type VideoIndex } from '../index/video-index.js';
import { annexBUnits, avcConfigFrom, lengthPrefixed } from './annex-b.js';

const CONTAINERS: Record<string, string> = { Matroska: 'Matroska', WebM: 'WebM', 'MPEG Transport Stream': 'MPEG-TS' };
const CODECS: Partial<Record<string, IndexCodec>> = { avc: 'h264', hevc: 'hevc', vp9: 'vp9' };
/** Reading more than this at once for one walk means a strange file: give up on it. */
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

export type DemuxedReading = { readonly index: VideoIndex } | { readonly unsupported: string };

/** Indexes a Matroska/WebM/MPEG-TS file; `unsupported` says why it cannot. */
export async function readDemuxedIndex(source: ByteSource): Promise<DemuxedReading> {
  // mediabunny may still be prefetching when the input is disposed and the source closed: such reads give nothing, quietly.
  const state = { disposed: false };
  const input = new Input({
    source: new StreamSource({
      getSize: () => source.size,
      read: (start, end) => source.read(start, end - start).catch((error: unknown) => {
        if (state.disposed) return new Uint8Array(end - start);
        throw error;
      }),
      dispose: () => { state.disposed = true; },
      // Large sequential reads: a scan of a TS over HTTP is a few range requests, not thousands.
      prefetchProfile: 'network',
      maxCacheSize: 16 * 1024 * 1024,
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
    if (annexB && codec !== 'h264') return { unsupported: `${codec.toUpperCase()} in MPEG-TS (only H.264 is indexed there)` };
    const sink = new EncodedPacketSink(track);
    const packets: EncodedPacket[] = [];
    for await (const packet of sink.packets(undefined, undefined, { metadataOnly: true })) packets.push(packet);
    if (packets.length === 0) return { unsupported: 'no frames' };
    let decoderConfig: Buffer;
    let nalLengthSize = 4;
    if (annexB) {
      const first = await sink.getFirstPacket();
      const config = first === null ? undefined : avcConfigFrom(annexBUnits(first.data));
      if (config === undefined) return { unsupported: 'no SPS/PPS before the first frame' };
      decoderConfig = config;
    } else {
      const description = (await track.getDecoderConfig())?.description;
      decoderConfig = description === undefined ? Buffer.alloc(0) : Buffer.from(description instanceof ArrayBuffer ? new Uint8Array(description) : new Uint8Array(description.buffer, description.byteOffset, description.byteLength));
      if (codec !== 'vp9') {
        if (decoderConfig.length < (codec === 'h264' ? 7 : 23)) return { unsupported: `no ${codec === 'h264' ? 'avcC' : 'hvcC'} record` };
        nalLengthSize = ((codec === 'h264' ? decoderConfig[4]! : decoderConfig[21]!) & 3) + 1;
      }
    }
    keep = true;
    return { index: new DemuxedIndex(input, sink, track, packets, container, codec, decoderConfig, nalLengthSize, annexB) };
  } finally {
    if (!keep) input.dispose();
  }
}

class DemuxedIndex implements VideoIndex {
  readonly sampleCount: number;
  readonly times: Float64Array;
  readonly keyframes: Uint8Array;
  readonly shown: Uint32Array;
  readonly width: number;
  readonly height: number;

  constructor(
    private readonly input: Input,
    private readonly sink: EncodedPacketSink,
    track: InputVideoTrack,
    private readonly packets: readonly EncodedPacket[],
    readonly container: string,
    readonly codec: IndexCodec,
    readonly decoderConfig: Buffer,
    private readonly nalLengthSize: number,
    private readonly annexB: boolean,
  ) {
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
    let bytes = 0;
    for (let sample = start; sample <= target; sample += 1) bytes += this.packets[sample]!.byteLength;
    if (bytes > MAX_SEGMENT_BYTES) return 'its group of pictures is too large to read at once';
    const first = start === 0 ? await this.sink.getFirstPacket() : await this.sink.getNextPacket(this.packets[start - 1]!);
    if (first === null) return 'the file ended early';
    const data: Buffer[] = [];
    for await (const packet of this.sink.packets(first, this.packets[target + 1])) {
      if (packet.sequenceNumber !== this.packets[start + data.length]!.sequenceNumber) return 'its packets changed between indexing and reading';
      data.push(this.annexB ? lengthPrefixed(annexBUnits(packet.data)) : Buffer.from(packet.data.buffer, packet.data.byteOffset, packet.data.byteLength));
      if (data.length > target - start) break;
    }
    if (data.length !== target - start + 1) return 'the file ended early';
    return segmentFromFrames(data, start, { sampleCount: this.sampleCount, times: this.times, nalLengthSize: this.nalLengthSize, codec: this.codec }, targets);
  }

  close(): Promise<void> {
    this.input.dispose();
    return Promise.resolve();
  }
}

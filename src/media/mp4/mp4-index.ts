/** MP4/MOV as a VideoIndex: framescore's own sample-table reader, frames read by byte range. */
import type { ByteSource } from '../source/byte-source.js';
import type { IndexReading, VideoIndex } from '../index/video-index.js';
import { readSegment, type CodedSegment } from '../index/segment.js';
import { readMp4VideoTrack, type Mp4VideoTrack } from './video-track.js';

export async function readMp4Index(source: ByteSource): Promise<IndexReading> {
  const reading = await readMp4VideoTrack(source);
  return 'unsupported' in reading ? reading : { index: mp4Index(source, reading.track) };
}

export function mp4Index(source: ByteSource, track: Mp4VideoTrack): VideoIndex {
  return {
    container: 'MP4',
    codec: track.codec,
    decoderConfig: track.decoderConfig,
    width: track.width,
    height: track.height,
    sampleCount: track.sampleCount,
    times: track.times,
    keyframes: track.keyframes,
    shown: track.shown,
    frameSpans: (first, last) => ({ offsets: Array.from(track.offsets.subarray(first, last + 1)), sizes: Array.from(track.sizes.subarray(first, last + 1)) }),
    wire: { container: 'mp4', nalLengthSize: track.nalLengthSize },
    readFrames: (start: number, targets: readonly number[]): Promise<CodedSegment | string> => readSegment(source, track, start, targets),
    // The source belongs to whoever opened it.
    close: () => Promise.resolve(),
  };
}

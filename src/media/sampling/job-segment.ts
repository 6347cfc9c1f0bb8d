/**
 * A decode job's coded frames from the bytes its ranges cover (the function's side of
 * decode-jobs.ts): MP4 samples are cut out as they are; an MPEG-TS job's span is
 * walked for the video PID's payloads, as the local sampler's MPEG-TS index reads a
 * group of pictures, and converted to length-prefixed NAL units. Either way the result
 * is the CodedSegment the shared feed and stream decoder take.
 */
import type { GopJob, SampleTrack } from '../../core/contract-sample.js';
import { annexBUnits, lengthPrefixed } from '../codec/annex-b.js';
import { videoPayloads } from '../mpeg-ts/mpeg-ts-index.js';
import { segmentFromBytes, segmentFromFrames, type CodedSegment } from '../index/segment.js';

/** `bytes` start at file offset `from` and cover every range of the job; `samples` are the `at`s asked for, ascending. */
export function segmentOfJob(bytes: Buffer, from: number, gop: GopJob, track: SampleTrack, samples: readonly number[]): CodedSegment | string {
  const times = Float64Array.from(gop.times);
  if (track.container === 'mpeg-ts') {
    const start = gop.offsets[0]! - from;
    const frames = videoPayloads(bytes.subarray(start), track.pid!).slice(0, gop.offsets.length);
    if (frames.length !== gop.offsets.length) return `its ${gop.offsets.length} frames were not all in its bytes (${frames.length} found)`;
    return segmentFromFrames(frames.map((frame) => lengthPrefixed(annexBUnits(frame))), 0, { sampleCount: frames.length, times, nalLengthSize: 4, codec: track.codec }, samples);
  }
  const index = { offsets: Float64Array.from(gop.offsets), sizes: Uint32Array.from(gop.sizes), times, nalLengthSize: track.nalLengthSize, codec: track.codec };
  return segmentFromBytes(bytes, from, index, 0, samples);
}

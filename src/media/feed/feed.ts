/**
 * What a long-lived decoder is fed on stdin: H.264 as FLV, HEVC as Matroska (the
 * containers ffmpeg reads from a pipe that carry each frame's timestamps and take
 * MP4's length-prefixed samples unchanged). One feed per decoder: its timeline runs on
 * across the segments it is given.
 */
import { flvFrame, flvHeader, flvSequenceHeader } from './flv.js';
import { matroskaClusters, matroskaHeader } from './matroska.js';
import { SegmentTimeline, type CodedSegment } from '../index/segment.js';
import type { VideoIndex } from '../index/video-index.js';

export interface PackedSegment {
  readonly bytes: Buffer;
  /** The targets' synthetic presentation times, in milliseconds, in the order of `segment.targets`. */
  readonly targetPts: readonly number[];
}

export interface Feed {
  /** ffmpeg's name for the container (`-f`). */
  readonly demuxer: 'flv' | 'matroska';
  /** Written once, before any segment. */
  readonly header: Buffer;
  pack(segment: CodedSegment): PackedSegment;
}

export function createFeed(track: Pick<VideoIndex, 'codec' | 'decoderConfig' | 'width' | 'height'>): Feed {
  const timeline = new SegmentTimeline();
  if (track.codec === 'h264') {
    return {
      demuxer: 'flv',
      header: Buffer.concat([flvHeader(), flvSequenceHeader(track.decoderConfig)]),
      pack(segment) {
        const { dts, pts, targetPts } = timeline.assign(segment);
        return { bytes: Buffer.concat(segment.frames.map((frame, i) => flvFrame(dts[i]!, pts[i]!, frame.keyframe, frame.data))), targetPts };
      },
    };
  }
  return {
    demuxer: 'matroska',
    header: matroskaHeader(track.codec, track.decoderConfig, track.width, track.height),
    pack(segment) {
      const { pts, targetPts } = timeline.assign(segment);
      return { bytes: matroskaClusters(segment.frames, pts), targetPts };
    },
  };
}

/**
 * Matroska and WebM in the format registry: the EBML magic. framescore's block-header
 * index reads them; a file it cannot walk (laced video, damage) goes to mediabunny's
 * demuxer (and every file with FRAMESCORE_MKV_DEMUXER=mediabunny, for comparing the two).
 */
import type { ContainerFormat } from '../formats.js';
import { worthReadingAround } from '../index/video-index.js';
import { hasVideoCues, readMatroskaIndex } from './block-index.js';
import { readDemuxedIndex } from './matroska-index.js';

/**
 * What reading around one time costs, in seconds of video read by a pass: the block
 * headers from its keyframe to 16 frames past it, one small read each (2.2 ms a time on
 * the 10-minute 1080p file, where a pass over its headers in 1 MB reads costs 0.58 ms per
 * second of video: even at one time per 3.7 s). mediabunny's reading reads the clusters
 * whole (about 4 s of video with ffmpeg's 5 s clusters) and parses every block.
 */
const MKV_SECONDS_PER_TIME = 4;
const MEDIABUNNY_SECONDS_PER_TIME = 6;

const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

export const MATROSKA_FORMAT: ContainerFormat = {
  name: 'Matroska/WebM',
  jobContainer: 'matroska',
  recognises: (head) => head.subarray(0, EBML_MAGIC.length).equals(EBML_MAGIC),
  readIndex: async (source, wanted) => {
    const own = process.env.FRAMESCORE_MKV_DEMUXER === 'mediabunny' ? undefined : await readMatroskaIndex(source, worthReadingAround(wanted, MKV_SECONDS_PER_TIME) ? wanted.times : undefined);
    return own !== undefined && 'index' in own ? own : readDemuxedIndex(source, worthReadingAround(wanted, MEDIABUNNY_SECONDS_PER_TIME) ? wanted.times : undefined);
  },
  // Without Cues (live recorders, MediaRecorder) the only index is a walk over every block header.
  readsAroundTimes: hasVideoCues,
};

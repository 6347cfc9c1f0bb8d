/**
 * MPEG-TS in the format registry: a 188-byte packet cadence (from any offset in the first
 * packets: a capture may start mid-packet) or M2TS's 192-byte one. framescore's own packet
 * scan indexes H.264 and HEVC in plain 188-byte TS; mediabunny's demuxer reads the rest
 * (and all of them with FRAMESCORE_TS_DEMUXER=mediabunny, for comparing the two).
 */
import type { ContainerFormat } from '../formats.js';
import { worthReadingAround } from '../index/video-index.js';
import { readDemuxedIndex } from '../matroska/matroska-index.js';
import { looksLikeTs, readMpegTsIndex } from './mpeg-ts-index.js';
import { PACKET, SYNC } from './ts-packets.js';

/**
 * Reading around one time (bisecting on decode times, then a GOP) costs about this much
 * video; denser times read less in one pass (the threshold mediabunny's reading had).
 */
const TS_SECONDS_PER_TIME = 6;

/** M2TS (Blu-ray, AVCHD): a 4-byte timestamp before each 188-byte packet. */
const M2TS_PACKET = 192;

function looksLikeM2ts(head: Buffer): boolean {
  return [0, 1, 2].every((n) => head[4 + n * M2TS_PACKET] === SYNC);
}

export const MPEG_TS_FORMAT: ContainerFormat = {
  name: 'MPEG-TS',
  jobContainer: 'mpeg-ts',
  recognises: (head) => looksLikeTs(head.subarray(0, PACKET * 4)) || looksLikeM2ts(head),
  readIndex: async (source, wanted) => {
    const around = worthReadingAround(wanted, TS_SECONDS_PER_TIME) ? wanted.times : undefined;
    const own = process.env.FRAMESCORE_TS_DEMUXER === 'mediabunny' ? undefined : await readMpegTsIndex(source, around, wanted?.clockContinuous === true);
    return own !== undefined ? { index: own } : readDemuxedIndex(source, around);
  },
};

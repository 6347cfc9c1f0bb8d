/**
 * The first video track of an MP4/MOV file as a sample table: where each coded frame
 * lies in the file, its presentation time on ffmpeg's timeline (edit list applied),
 * and which frames are keyframes. This is what lets framescore decode only the frames
 * a sample needs in one long-lived ffmpeg, instead of one ffmpeg per frame.
 */
import { childBoxes, findChild, findPath, readBoxHeader, type Box } from './boxes.js';
import type { ByteSource } from '../source/byte-source.js';
import type { VideoCodec } from '../codec/nal-units.js';

export interface Mp4VideoTrack {
  readonly codec: VideoCodec;
  /** The decoder configuration record (avcC or hvcC payload): parameter sets and the NAL length size. */
  readonly decoderConfig: Buffer;
  /** Coded size from the sample entry. */
  readonly width: number;
  readonly height: number;
  readonly nalLengthSize: number;
  readonly sampleCount: number;
  /** Per sample, in decode order. */
  readonly offsets: Float64Array;
  readonly sizes: Uint32Array;
  /** Presentation time in seconds, as ffmpeg reports it after applying the edit list. */
  readonly times: Float64Array;
  readonly keyframes: Uint8Array;
  /** Decode indices of the samples that are shown (the edit list hides some), by presentation time. */
  readonly shown: Uint32Array;
}

export type Mp4Reading = { readonly track: Mp4VideoTrack } | { readonly unsupported: string };

const MAX_MOOV_BYTES = 512 * 1024 * 1024;
/** Sample entries with parameter sets out of band (avc1, hvc1) or also in band (avc3, hev1). */
const SAMPLE_ENTRIES: Partial<Record<string, VideoCodec>> = { avc1: 'h264', avc3: 'h264', hvc1: 'hevc', hev1: 'hevc' };
/** Where each codec's configuration record keeps lengthSizeMinusOne. */
const CONFIG_BOXES: Record<VideoCodec, { box: string; minimum: number; lengthSizeAt: number }> = {
  h264: { box: 'avcC', minimum: 7, lengthSizeAt: 4 },
  hevc: { box: 'hvcC', minimum: 23, lengthSizeAt: 21 },
};
const MAX_TOP_LEVEL_BOXES = 10_000;

/** Reads the moov box and the first video track's sample table; says why when the file is not one it can index. */
export async function readMp4VideoTrack(source: ByteSource): Promise<Mp4Reading> {
  let offset = 0;
  for (let count = 0; count < MAX_TOP_LEVEL_BOXES && offset + 8 <= source.size; count += 1) {
    const header = await source.read(offset, 16);
    const box = readBoxHeader(header, 0, source.size - offset);
    if (box === undefined) return { unsupported: count === 0 ? 'not an MP4/MOV file' : `malformed box at byte ${offset}` };
    if (box.type === 'moov') {
      const length = box.end - box.start;
      if (length > MAX_MOOV_BYTES) return { unsupported: 'moov box too large' };
      const moov = await source.read(offset + box.start, length);
      if (moov.length < length) return { unsupported: 'moov box truncated' };
      return parseMoov(moov);
    }
    if (box.type === 'moof') return { unsupported: 'fragmented MP4' };
    offset += box.end;
  }
  return { unsupported: 'no moov box' };
}

export function parseMoov(moov: Buffer): Mp4Reading {
  const root: Box = { type: 'moov', start: 0, end: moov.length };
  if (findChild(moov, root, 'mvex')) return { unsupported: 'fragmented MP4' };
  const mvhd = findChild(moov, root, 'mvhd');
  if (!mvhd) return { unsupported: 'no mvhd box' };
  const movieTimescale = moov.readUInt32BE(mvhd.start + (moov[mvhd.start] === 1 ? 20 : 12));
  for (const trak of childBoxes(moov, root.start, root.end)) {
    if (trak.type !== 'trak') continue;
    const hdlr = findPath(moov, trak, ['mdia', 'hdlr']);
    if (!hdlr || moov.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'vide') continue;
    // The first video track is the one `-map 0:v:0` picks.
    return parseVideoTrak(moov, trak, movieTimescale);
  }
  return { unsupported: 'no video track' };
}

function parseVideoTrak(moov: Buffer, trak: Box, movieTimescale: number): Mp4Reading {
  const mdhd = findPath(moov, trak, ['mdia', 'mdhd']);
  const stbl = findPath(moov, trak, ['mdia', 'minf', 'stbl']);
  if (!mdhd || !stbl) return { unsupported: 'incomplete video track' };
  const timescale = moov.readUInt32BE(mdhd.start + (moov[mdhd.start] === 1 ? 20 : 12));
  const box = (type: string): Box | undefined => findChild(moov, stbl, type);

  const stsd = box('stsd');
  if (!stsd || moov.readUInt32BE(stsd.start + 4) !== 1) return { unsupported: 'not exactly one sample description' };
  const entry = readBoxHeader(moov, stsd.start + 8, stsd.end);
  const codec = entry === undefined ? undefined : SAMPLE_ENTRIES[entry.type];
  if (!entry || !codec) return { unsupported: `codec ${entry?.type ?? 'unknown'} (only H.264 and HEVC are indexed)` };
  // A VisualSampleEntry's child boxes follow 78 bytes of fixed fields.
  const { box: configBox, minimum, lengthSizeAt } = CONFIG_BOXES[codec];
  const config = findChild(moov, { type: entry.type, start: entry.start + 78, end: entry.end }, configBox);
  if (!config || config.end - config.start < minimum) return { unsupported: `no ${configBox} box` };
  const decoderConfig = Buffer.from(moov.subarray(config.start, config.end));
  const nalLengthSize = (decoderConfig[lengthSizeAt]! & 3) + 1;

  const stsz = box('stsz');
  const stsc = box('stsc');
  const chunkBox = box('stco') ?? box('co64');
  const stts = box('stts');
  if (!stsz || !stsc || !chunkBox || !stts) return { unsupported: 'incomplete sample table' };
  const count = moov.readUInt32BE(stsz.start + 8);
  if (count === 0) return { unsupported: 'no samples' };

  const sizes = new Uint32Array(count);
  const uniform = moov.readUInt32BE(stsz.start + 4);
  for (let i = 0; i < count; i += 1) sizes[i] = uniform || moov.readUInt32BE(stsz.start + 12 + 4 * i);

  const offsets = sampleOffsets(moov, stsc, chunkBox, sizes);
  if (offsets === undefined) return { unsupported: 'inconsistent chunk table' };

  const { dts, pts } = sampleTicks(moov, stts, box('ctts'), count);
  const keyframes = new Uint8Array(count);
  const stss = box('stss');
  if (stss) {
    const entries = moov.readUInt32BE(stss.start + 4);
    for (let i = 0; i < entries; i += 1) {
      const sample = moov.readUInt32BE(stss.start + 8 + 4 * i) - 1;
      if (sample >= 0 && sample < count) keyframes[sample] = 1;
    }
  } else {
    keyframes.fill(1);
  }

  const edit = readEdit(moov, trak, timescale, movieTimescale);
  if (typeof edit === 'string') return { unsupported: edit };
  const shown: number[] = [];
  for (let i = 0; i < count; i += 1) if (pts[i]! >= edit.mediaStart && pts[i]! < edit.mediaEnd) shown.push(i);
  // ffmpeg (mov_fix_index) re-times an edited track: decode time 0 at the first sample
  // inside the edit in decode order, then, if the earliest shown presentation time is
  // later than that, everything moves back so it is 0. Without an edit list, times are
  // the samples' own.
  let origin = 0;
  if (edit.listed && shown.length > 0) {
    const first = shown.reduce((a, b) => Math.min(a, b));
    const earliest = shown.reduce((a, b) => Math.min(a, pts[b]!), Infinity);
    origin = Math.max(dts[first]!, earliest);
  }
  const times = pts.map((ticks) => (ticks - origin) / timescale + edit.delay);
  shown.sort((a, b) => times[a]! - times[b]!);
  return {
    track: {
      codec,
      decoderConfig,
      width: moov.readUInt16BE(entry.start + 24),
      height: moov.readUInt16BE(entry.start + 26),
      nalLengthSize,
      sampleCount: count,
      offsets,
      sizes,
      times,
      keyframes,
      shown: Uint32Array.from(shown),
    },
  };
}

function sampleOffsets(moov: Buffer, stsc: Box, chunkBox: Box, sizes: Uint32Array): Float64Array | undefined {
  const wide = chunkBox.type === 'co64';
  const chunks = moov.readUInt32BE(chunkBox.start + 4);
  const chunkOffset = (chunk: number): number => wide
    ? Number(moov.readBigUInt64BE(chunkBox.start + 8 + 8 * chunk))
    : moov.readUInt32BE(chunkBox.start + 8 + 4 * chunk);
  const runs = moov.readUInt32BE(stsc.start + 4);
  const offsets = new Float64Array(sizes.length);
  let sample = 0;
  for (let run = 0; run < runs && sample < sizes.length; run += 1) {
    const at = stsc.start + 8 + 12 * run;
    const firstChunk = moov.readUInt32BE(at) - 1;
    const perChunk = moov.readUInt32BE(at + 4);
    const lastChunk = run + 1 < runs ? moov.readUInt32BE(at + 12) - 1 : chunks;
    if (firstChunk < 0 || lastChunk > chunks || perChunk === 0) return undefined;
    for (let chunk = firstChunk; chunk < lastChunk && sample < sizes.length; chunk += 1) {
      let offset = chunkOffset(chunk);
      for (let i = 0; i < perChunk && sample < sizes.length; i += 1, sample += 1) {
        offsets[sample] = offset;
        offset += sizes[sample]!;
      }
    }
  }
  return sample === sizes.length ? offsets : undefined;
}

/** Decode times from stts, and presentation times adding ctts's offsets (read as signed, as ffmpeg does). */
function sampleTicks(moov: Buffer, stts: Box, ctts: Box | undefined, count: number): { dts: Float64Array; pts: Float64Array } {
  const pts = new Float64Array(count);
  let sample = 0;
  let ticks = 0;
  const sttsEntries = moov.readUInt32BE(stts.start + 4);
  for (let e = 0; e < sttsEntries && sample < count; e += 1) {
    const runLength = moov.readUInt32BE(stts.start + 8 + 8 * e);
    const delta = moov.readUInt32BE(stts.start + 12 + 8 * e);
    for (let i = 0; i < runLength && sample < count; i += 1, sample += 1) {
      pts[sample] = ticks;
      ticks += delta;
    }
  }
  for (; sample < count; sample += 1) pts[sample] = ticks;
  const dts = Float64Array.from(pts);
  if (ctts) {
    sample = 0;
    const entries = moov.readUInt32BE(ctts.start + 4);
    for (let e = 0; e < entries && sample < count; e += 1) {
      const runLength = moov.readUInt32BE(ctts.start + 8 + 8 * e);
      const offset = moov.readInt32BE(ctts.start + 12 + 8 * e);
      for (let i = 0; i < runLength && sample < count; i += 1, sample += 1) pts[sample]! += offset;
    }
  }
  return { dts, pts };
}

interface Edit {
  /** Media time (track ticks) shown first, and the end of the shown range. */
  readonly mediaStart: number;
  readonly mediaEnd: number;
  /** Seconds of empty edit before it. */
  readonly delay: number;
  /** The track has an edit list (ffmpeg then re-times it). */
  readonly listed: boolean;
}

/** One empty edit (a delay) and one shown range at normal rate are what ffmpeg maps simply; anything else is left to ffmpeg. */
function readEdit(moov: Buffer, trak: Box, timescale: number, movieTimescale: number): Edit | string {
  const elst = findPath(moov, trak, ['edts', 'elst']);
  if (!elst) return { mediaStart: 0, mediaEnd: Infinity, delay: 0, listed: false };
  const version = moov[elst.start];
  const entries = moov.readUInt32BE(elst.start + 4);
  const size = version === 1 ? 20 : 12;
  let delay = 0;
  let shownRange: Edit | undefined;
  for (let e = 0; e < entries; e += 1) {
    const at = elst.start + 8 + size * e;
    const duration = version === 1 ? Number(moov.readBigUInt64BE(at)) : moov.readUInt32BE(at);
    const mediaTime = version === 1 ? Number(moov.readBigInt64BE(at + 8)) : moov.readInt32BE(at + 4);
    const rate = moov.readInt32BE(at + (version === 1 ? 16 : 8));
    if (mediaTime === -1) {
      if (shownRange) return 'edit list with a gap after the start';
      delay += duration / movieTimescale;
      continue;
    }
    if (shownRange) return 'edit list with several ranges';
    if (rate !== 0x10000) return 'edit list with a rate change';
    const end = duration === 0 ? Infinity : mediaTime + (duration / movieTimescale) * timescale;
    shownRange = { mediaStart: mediaTime, mediaEnd: end, delay, listed: true };
  }
  return shownRange ?? { mediaStart: 0, mediaEnd: Infinity, delay, listed: true };
}

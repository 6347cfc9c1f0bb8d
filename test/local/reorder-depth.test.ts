/**
 * reorderDepth against ffprobe's has_b_frames (which ffmpeg sets from H.264's
 * max_num_reorder_frames and HEVC's sps_max_num_reorder_pics) on small clips made here
 * with the encoders that write the branches of the SPS the parser walks (HRD, extended
 * SAR, colour description, interlacing, cropping, HEVC sub-layers), and on SPSs built
 * bit by bit for what no encoder here writes (scaling lists, POC type 1, no VUI).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_REORDER_FRAMES, reorderDepth } from '../../src/media/codec/reorder.js';
import { readMp4VideoTrack } from '../../src/media/mp4/video-track.js';
import { openByteSource } from '../../src/media/source/byte-source.js';
import { ffmpegPath, runFfmpeg, runFfprobe } from '../helpers/ffmpeg.js';
import { avcC, escape, h264Sps, hevcSps, hevcVps, hvcC, type SpsSpec } from '../helpers/parameter-sets.js';

interface Clip {
  readonly name: string;
  readonly args: readonly string[];
  readonly size?: string;
}

const x264 = (name: string, ...args: string[]): Clip => ({ name: `${name}.mp4`, args: ['-c:v', 'libx264', '-preset', 'veryfast', ...args] });
const x265 = (name: string, params: string, size?: string): Clip => ({ name: `${name}.mp4`, args: ['-c:v', 'libx265', '-preset', 'veryfast', '-x265-params', `log-level=error:${params}`, '-tag:v', 'hvc1'], size });
const CLIPS: readonly Clip[] = [
  x264('x264-bf0', '-bf', '0'),
  x264('x264-bf1', '-bf', '1'),
  x264('x264-bf3-pyramid', '-bf', '3'),
  x264('x264-bf3-flat', '-bf', '3', '-x264-params', 'b-pyramid=none'),
  x264('x264-bf16', '-bf', '16'),
  x264('x264-baseline', '-profile:v', 'baseline'),
  x264('x264-intra', '-x264-params', 'keyint=1'),
  x264('x264-interlaced', '-bf', '2', '-flags', '+ildct+ilme'),
  x264('x264-hrd', '-bf', '2', '-b:v', '200k', '-maxrate', '200k', '-bufsize', '200k', '-x264-params', 'nal-hrd=cbr'),
  x264('x264-sar-colour', '-bf', '2', '-vf', 'setsar=7/5', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'),
  x264('x264-444', '-bf', '2', '-pix_fmt', 'yuv444p'),
  { ...x264('x264-cropped', '-bf', '1'), size: '72x40' },
  x265('x265-default', 'bframes=4'),
  x265('x265-no-b', 'bframes=0'),
  x265('x265-flat', 'bframes=8:b-pyramid=0'),
  x265('x265-sub-layers', 'temporal-layers=1'),
  x265('x265-cropped', 'bframes=2', '72x40'),
  { name: 'vp9.webm', args: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-auto-alt-ref', '1', '-lag-in-frames', '16'] },
  { name: 'vp8.webm', args: ['-c:v', 'libvpx', '-auto-alt-ref', '1', '-lag-in-frames', '16'] },
];

async function hasBFrames(file: string): Promise<number> {
  const { stdout } = await runFfprobe(['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=has_b_frames', '-of', 'csv=p=0', file]);
  return Number(stdout.toString().trim());
}

/** The codec and decoder config as the index readers hand them over: the MP4 sample entry's avcC/hvcC; WebM's VP8/VP9/AV1 carry none reorderDepth needs. */
async function codecAndConfig(file: string): Promise<{ codec: string; config: Uint8Array }> {
  if (file.endsWith('.webm')) return { codec: path.basename(file, '.webm'), config: new Uint8Array(0) };
  const source = await openByteSource(file);
  try {
    const reading = await readMp4VideoTrack(source);
    assert.ok('track' in reading, 'unsupported' in reading ? reading.unsupported : '');
    return { codec: reading.track.codec, config: reading.track.decoderConfig };
  } finally {
    await source.close();
  }
}

describe('reorderDepth against ffprobe has_b_frames', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-reorder-'));
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  for (const clip of CLIPS) {
    it(clip.name, async () => {
      const file = path.join(dir, clip.name);
      await runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${clip.size ?? '64x64'}:rate=25:duration=1`, ...clip.args, file]);
      const { codec, config } = await codecAndConfig(file);
      assert.equal(reorderDepth(codec, config), await hasBFrames(file));
    });
  }
});

/** H.264's max_num_reorder_frames, or HEVC's sps_max_num_reorder_pics of the last sub-layer, as ffmpeg's own SPS reader (the trace_headers filter) reads it from this SPS as an Annex B stream. */
async function ffmpegReadsReorder(dir: string, codec: 'h264' | 'hevc', nal: Buffer, vps?: Buffer): Promise<number | undefined> {
  const file = path.join(dir, `sps.${codec}`);
  const start = Buffer.from([0, 0, 0, 1]);
  await writeFile(file, Buffer.concat(vps === undefined ? [start, nal] : [start, vps, start, nal]));
  // Exits non-zero (an SPS alone has nothing to mux) after tracing the SPS.
  const { stderr } = spawnSync(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'trace', '-f', codec, '-i', file, '-c', 'copy', '-bsf:v', 'trace_headers', '-f', 'null', '-'], { encoding: 'utf8' });
  const field = codec === 'h264' ? /max_num_reorder_frames\s+[01]+ = (\d+)/g : /sps_max_num_reorder_pics\[\d+\]\s+[01]+ = (\d+)/g;
  const values = [...stderr.matchAll(field)].map((match) => Number(match[1]));
  return values.at(-1);
}

describe('reorderDepth on SPSs built here', () => {
  let dir = '';
  before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'framescore-reorder-sps-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads max_num_reorder_frames past 4:4:4 scaling lists, POC type 1, MBAFF, cropping and a VUI with both HRDs, as ffmpeg does', async () => {
    const specs: SpsSpec[] = [0, 1, 3, 7].map((reorder) => ({ profile: 244, scalingLists: true, pocType1: true, reorder }));
    for (const spec of [...specs, { profile: 100, reorder: 5 }]) {
      const { nal } = h264Sps(spec);
      assert.ok(nal.includes(Buffer.from([0, 0, 3])), 'the SPS needs emulation prevention');
      assert.equal(await ffmpegReadsReorder(dir, 'h264', nal), spec.reorder);
      assert.equal(reorderDepth('h264', avcC(nal)), spec.reorder);
    }
  });

  it('HEVC: reads sps_max_num_reorder_pics of the highest sub-layer past sub-layer profiles and levels, as ffmpeg does', async () => {
    const cases: [number[], boolean][] = [[[3], true], [[0, 1, 3], true], [[1, 1, 2, 4], true], [[0, 2, 5, 5, 6, 6, 7], true], [[0, 0, 4], false], [[2, 2, 2, 2, 2, 2, 2], false]];
    for (const [reorders, everySubLayer] of cases) {
      const nal = hevcSps(reorders, everySubLayer);
      const expected = reorders.at(-1);
      assert.equal(await ffmpegReadsReorder(dir, 'hevc', nal, hevcVps(reorders.length)), expected, `ffmpeg on ${reorders.join(',')}`);
      assert.equal(reorderDepth('hevc', hvcC(nal)), expected, reorders.join(','));
    }
    const nal = hevcSps([0, 1, 3], true, false);
    assert.equal(reorderDepth('hevc', hvcC(nal)), 3);
    for (let cut = 2; cut < nal.length - 1; cut += 1) assert.equal(reorderDepth('hevc', hvcC(nal.subarray(0, cut))), MAX_REORDER_FRAMES, `cut at ${cut}`);
  });

  it('clamps a reorder count past a DPB to 16', () => {
    assert.equal(reorderDepth('h264', avcC(h264Sps({ profile: 100, reorder: 40 }).nal)), MAX_REORDER_FRAMES);
  });

  it('without a bitstream restriction: 0 for Baseline and the intra profiles, 16 for the others', () => {
    assert.equal(reorderDepth('h264', avcC(h264Sps({ profile: 66 }).nal)), 0);
    assert.equal(reorderDepth('h264', avcC(h264Sps({ profile: 100, constraintSet3: true }).nal)), 0);
    assert.equal(reorderDepth('h264', avcC(h264Sps({ profile: 44 }).nal)), 0);
    assert.equal(reorderDepth('h264', avcC(h264Sps({ profile: 77 }).nal)), MAX_REORDER_FRAMES);
    assert.equal(reorderDepth('h264', avcC(h264Sps({ profile: 100 }).nal)), MAX_REORDER_FRAMES);
    assert.equal(reorderDepth('h264', avcC(h264Sps({ profile: 244, scalingLists: true }).nal)), MAX_REORDER_FRAMES);
  });

  it('says 16 for an SPS cut before its last field, a record cut short, garbage and nothing', () => {
    const spec = { profile: 244, scalingLists: true, pocType1: true, reorder: 2 };
    const { rbsp, nal, needed } = h264Sps(spec);
    assert.equal(reorderDepth('h264', avcC(nal)), 2);
    for (let cut = 1; cut < needed; cut += 1) assert.equal(reorderDepth('h264', avcC(escape(rbsp.subarray(0, cut)))), MAX_REORDER_FRAMES, `cut at ${cut}`);
    const record = avcC(nal);
    for (let cut = 0; cut < 8 + nal.length; cut += 1) assert.equal(reorderDepth('h264', record.subarray(0, cut)), MAX_REORDER_FRAMES, `record cut at ${cut}`);
    assert.equal(reorderDepth('h264', Buffer.from('not a decoder configuration record')), MAX_REORDER_FRAMES);
    assert.equal(reorderDepth('hevc', Buffer.from('not a decoder configuration record either')), MAX_REORDER_FRAMES);
    assert.equal(reorderDepth('h264', new Uint8Array(0)), MAX_REORDER_FRAMES);
    assert.equal(reorderDepth('hevc', new Uint8Array(0)), MAX_REORDER_FRAMES);
    assert.equal(reorderDepth('mpeg4', new Uint8Array(0)), MAX_REORDER_FRAMES);
  });
});

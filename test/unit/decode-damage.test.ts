/**
 * Which picture of a keyframe-only decode ffmpeg concealed, from its stderr as ffmpeg 4.1
 * writes it with -debug_ts (lines as measured on the corpus's bad-sync.ts: the damaged
 * keyframe at 4.48 s comes out after the next keyframe went in).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeDamage } from '../../src/media/decode/decode-damage.js';

const packet = (pts: number): string => `demuxer+ffmpeg -> ist_index:0 type:video pkt_pts:${pts} pkt_pts_time:${pts / 90_000} pkt_dts:${pts - 3600} pkt_dts_time:${(pts - 3600) / 90_000} off:0 off_time:0`;
const shown = (n: number, pts: number): string => `[Parsed_showinfo_1 @ 0x1b1e2c0] n:   ${n} pts: ${pts} pts_time:${pts / 90_000} pos:    65800 fmt:yuv420p sar:1/1 s:160x120 i:P iskey:1 type:I`;

describe('DecodeDamage', () => {
  it('names the picture made from the packet the damage lines followed, however late it comes out', () => {
    const damage = new DecodeDamage();
    for (const line of [
      packet(313_200), shown(0, 313_200),
      packet(403_200),
      '[h264 @ 0x142c5b40] error while decoding MB 0 3, bytestream 687',
      '[h264 @ 0x142c5b40] concealing 80 DC, 80 AC, 80 MV errors in I frame',
      packet(406_800), packet(493_200), shown(1, 403_200), shown(2, 493_200),
    ]) damage.line(line);
    assert.equal(damage.concealed(403_200 / 90_000), true);
    assert.equal(damage.concealed(313_200 / 90_000), false);
    assert.equal(damage.concealed(493_200 / 90_000), false);
  });

  it('without damage lines, no picture is concealed', () => {
    const damage = new DecodeDamage();
    for (const line of [packet(403_200), shown(0, 403_200)]) damage.line(line);
    assert.equal(damage.concealed(403_200 / 90_000), false);
  });
});

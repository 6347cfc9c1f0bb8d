/**
 * ffmpeg's timeline for an MPEG-TS whose clock jumps (files joined with `cat`, a capture
 * across an encoder restart). MPEG-TS is a format with timestamp discontinuities, so
 * ffmpeg (4.1's process_input, without -copyts) shifts everything after a decode time
 * that lies more than 10 s from the one it expected (the last plus one frame's duration),
 * or more than 0.1 s before the last, to that expected time: a full decode shows one
 * continuous timeline. The index applies the same rule so its times are the decode's; the
 * probe takes a joined file's length from that index, and the sequential sampler decodes
 * such a file without -copyts so that ffmpeg applies the rule itself.
 */

/** ffmpeg's -dts_delta_threshold default. */
export const DTS_JUMP_SECONDS = 10;
const BACKWARDS_SECONDS = 0.1;

export class ContinuousTimeline {
  private offset = 0;
  private lastDts: number | undefined;
  private step = 0;
  /** How many times the clock jumped. */
  jumps = 0;

  /** The times as a full decode shows them (seconds). */
  place(pts: number, dts: number): { pts: number; dts: number } {
    let shiftedDts = dts + this.offset;
    if (this.lastDts !== undefined) {
      const expected = this.lastDts + this.step;
      const delta = shiftedDts - expected;
      if (Math.abs(delta) > DTS_JUMP_SECONDS || shiftedDts + BACKWARDS_SECONDS < this.lastDts) {
        this.offset -= delta;
        shiftedDts = expected;
        this.jumps += 1;
      } else if (shiftedDts > this.lastDts) {
        this.step = shiftedDts - this.lastDts;
      }
    }
    this.lastDts = shiftedDts;
    return { pts: pts + this.offset, dts: shiftedDts };
  }
}

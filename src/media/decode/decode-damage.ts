/**
 * Which pictures of a keyframe-only decode the decoder concealed. ffmpeg 4.1 conceals a
 * damaged H.264 picture from the last picture it decoded; with -skip_frame nokey that is
 * the keyframe before, so the damaged keyframe comes out as another time's picture (a
 * full decode conceals it from the frame just before it). -debug_ts logs each packet as it
 * goes to the decoder, which decodes it at once (one thread): the damage lines that follow
 * belong to that packet, and showinfo's `pts` names the picture it became.
 */

/** The H.264 decoder reporting damage it is about to paper over. */
export const CONCEALED = /\bconcealing \d+ DC, \d+ AC, \d+ MV errors\b|\berror while decoding MB\b/;
/** ffmpeg's options that make the packet lines DecodeDamage reads (global: before the input). */
export const DECODE_DAMAGE_ARGS: readonly string[] = ['-debug_ts'];

const PACKET_PTS = /^demuxer\+ffmpeg -> .*\btype:video\b.*\bpkt_pts:(-?\d+)\b/;
const SHOWN = /Parsed_showinfo.*\bpts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.]+)/;

export class DecodeDamage {
  /** pts of the video packet the decoder has last been given. */
  private decoding: string | undefined;
  private readonly damagedPackets = new Set<string>();
  /** showinfo's pts_time of the pictures made from damaged packets. */
  private readonly damagedShown = new Set<number>();

  /** Reads one line of ffmpeg's stderr (every line, in order). */
  line(line: string): void {
    const packet = PACKET_PTS.exec(line);
    if (packet) {
      this.decoding = packet[1];
      return;
    }
    if (CONCEALED.test(line)) {
      if (this.decoding !== undefined) this.damagedPackets.add(this.decoding);
      return;
    }
    const shown = SHOWN.exec(line);
    if (shown && this.damagedPackets.has(shown[1]!)) this.damagedShown.add(Number(shown[2]));
  }

  /** Whether the picture showinfo printed at `ptsTime` was concealed (read its line first). */
  concealed(ptsTime: number): boolean {
    return this.damagedShown.has(ptsTime);
  }
}

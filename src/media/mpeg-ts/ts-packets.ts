/**
 * The MPEG-TS packet layer: 188-byte packets, each opening with the sync byte 0x47. A
 * damaged file (a flipped sync byte, a packet cut short, bytes dropped or inserted) loses
 * that cadence; like ffmpeg, the walk then looks for the next sync byte that another one
 * follows 188 bytes later and carries on from there, reporting what it skipped.
 */

export const PACKET = 188;
export const SYNC = 0x47;

export interface TsPacket {
  /** Where the packet starts in the chunk. */
  readonly at: number;
  readonly pid: number;
  /** payload_unit_start_indicator: a PES or section begins in this packet. */
  readonly unitStart: boolean;
  /** The adaptation field's random_access_indicator. */
  readonly randomAccess: boolean;
  /** Where the payload starts in the chunk (== end when there is none). */
  readonly payload: number;
  readonly end: number;
}

/** Bytes the walk skipped to find the packet cadence again. */
export interface TsDamage {
  /** File offset of the first byte that was not where a packet should start. */
  readonly offset: number;
  readonly skipped: number;
}

export interface PacketWalk {
  /** Offset in the chunk where the next packet would start (re-read the file from there). */
  readonly next: number;
  readonly stopped: boolean;
}

/**
 * Calls `visit` for each whole packet of `chunk` (file offset `at`) until it returns
 * false, resynchronising after damage (reported to `onDamage`). `next` says where to
 * continue: a packet cut by the chunk's end, or a sync byte that cannot be verified yet.
 */
export function walkPackets(chunk: Buffer, at: number, visit: (packet: TsPacket) => boolean, onDamage?: (damage: TsDamage) => void): PacketWalk {
  let p = 0;
  while (p + PACKET <= chunk.length) {
    if (chunk[p] !== SYNC) {
      const found = resync(chunk, p + 1);
      onDamage?.({ offset: at + p, skipped: found - p });
      p = found;
      continue;
    }
    // A packet cut short: the cadence starts again inside it.
    if (p + PACKET < chunk.length && chunk[p + PACKET] !== SYNC) {
      const found = resync(chunk, p + 1);
      if (found < p + PACKET) {
        onDamage?.({ offset: at + p, skipped: found - p });
        p = found;
        continue;
      }
    }
    const flags = chunk[p + 1]!;
    const control = (chunk[p + 3]! >> 4) & 3;
    let payload = p + 4;
    let randomAccess = false;
    if (control & 2) {
      const length = chunk[p + 4]!;
      if (length > 0) randomAccess = (chunk[p + 5]! & 0x40) !== 0;
      payload += 1 + length;
    }
    const end = p + PACKET;
    // No payload, or an adaptation field longer than the packet (damage): nothing to read.
    if (!(control & 1) || payload > end) payload = end;
    const packet: TsPacket = { at: p, pid: ((flags & 0x1f) << 8) | chunk[p + 2]!, unitStart: (flags & 0x40) !== 0, randomAccess, payload, end };
    // transport_error_indicator: the demodulator says the packet is broken; ffmpeg drops it too.
    if (!(flags & 0x80) && !visit(packet)) return { next: end, stopped: true };
    p = end;
  }
  return { next: p, stopped: false };
}

/**
 * The first offset from `from` holding a sync byte that another one follows a packet
 * later; a sync byte too near the chunk's end to check is taken (the next read starts
 * there and checks it again), and the chunk's end when there is none.
 */
function resync(chunk: Buffer, from: number): number {
  for (let q = chunk.indexOf(SYNC, from); q >= 0; q = chunk.indexOf(SYNC, q + 1)) {
    if (q + PACKET >= chunk.length || chunk[q + PACKET] === SYNC) return q;
  }
  return chunk.length;
}

/** One line for --verbose: where the damage was and how much was skipped. */
export function damageNote(damage: readonly TsDamage[]): string {
  const first = damage[0]!;
  const more = damage.length > 1 ? ` and ${damage.length - 1} more place${damage.length === 2 ? '' : 's'}` : '';
  return `damaged MPEG-TS: packet sync lost at byte ${first.offset} (${first.skipped} bytes skipped to the next sync byte)${more}; the index resynchronised`;
}

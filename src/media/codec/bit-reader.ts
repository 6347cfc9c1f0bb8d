/**
 * Reads the bits of an RBSP (emulation-prevention bytes already removed) most significant
 * first, as H.264 and HEVC parameter sets and SEI messages are written. Every read past the
 * end throws a RangeError, so a parser can read a whole structure and catch damage once.
 */
export class BitReader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** One bit. */
  bit(): number {
    const byte = this.bytes[this.at >> 3];
    if (byte === undefined) throw new RangeError('past the end');
    const value = (byte >> (7 - (this.at & 7))) & 1;
    this.at += 1;
    return value;
  }

  flag(): boolean {
    return this.bit() === 1;
  }

  /** An unsigned number of `count` bits (at most 32). */
  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i += 1) value = value * 2 + this.bit();
    return value;
  }

  skip(count: number): void {
    if (this.at + count > this.bytes.length * 8) throw new RangeError('past the end');
    this.at += count;
  }

  /** An unsigned Exp-Golomb number (ue(v)); longer than 32 bits is damage. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) if (++zeros > 31) throw new RangeError('Exp-Golomb code too long');
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** A signed Exp-Golomb number (se(v)). */
  se(): number {
    const code = this.ue();
    return code % 2 === 1 ? (code + 1) / 2 : -code / 2;
  }
}

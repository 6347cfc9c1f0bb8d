/** What framescore needs to know about an H.264 access unit stored MP4-style (length-prefixed NAL units). */

const NAL_SLICE = 1;
const NAL_IDR_SLICE = 5;

export interface AccessUnitFacts {
  /** Some slice is a reference (nal_ref_idc > 0): later frames may predict from it. */
  readonly reference: boolean;
  /** Its slices are IDR: decoding can start here with nothing before it. */
  readonly idr: boolean;
}

/** Reads the NAL headers of one sample; undefined when the length prefixes do not add up. */
export function accessUnitFacts(sample: Buffer, nalLengthSize: number): AccessUnitFacts | undefined {
  let offset = 0;
  let reference = false;
  let idr = false;
  let slices = 0;
  while (offset + nalLengthSize < sample.length) {
    const length = sample.readUIntBE(offset, nalLengthSize);
    const header = sample[offset + nalLengthSize]!;
    offset += nalLengthSize + length;
    if (length === 0 || offset > sample.length) return undefined;
    const type = header & 0x1f;
    if (type !== NAL_SLICE && type !== NAL_IDR_SLICE) continue;
    slices += 1;
    if (header & 0x60) reference = true;
    if (type === NAL_IDR_SLICE) idr = true;
  }
  return slices > 0 && offset === sample.length ? { reference, idr } : undefined;
}

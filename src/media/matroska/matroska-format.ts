/** Matroska and WebM in the format registry: the EBML magic; mediabunny's reader checks the DocType. */
import type { ContainerFormat } from '../formats.js';
import { readDemuxedIndex } from './matroska-index.js';

const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

export const MATROSKA_FORMAT: ContainerFormat = {
  name: 'Matroska/WebM',
  recognises: (head) => head.subarray(0, EBML_MAGIC.length).equals(EBML_MAGIC),
  readIndex: (source, around) => readDemuxedIndex(source, around),
};

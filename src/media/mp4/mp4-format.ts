/** MP4/MOV in the format registry: any well-formed box at byte 0 (QuickTime files need not start with `ftyp`). */
import type { ContainerFormat } from '../formats.js';
import { readBoxHeader } from './boxes.js';
import { readMp4Index } from './mp4-index.js';

export const MP4_FORMAT: ContainerFormat = {
  name: 'MP4/MOV',
  jobContainer: 'mp4',
  recognises: (head, size) => readBoxHeader(head, 0, size) !== undefined,
  // The sample table gives every frame's place at once: nothing to gain from reading around.
  readIndex: (source) => readMp4Index(source),
};

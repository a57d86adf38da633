/**
 * faiss binary index files (faiss 1.7.3 layout, see read-index.ts and docs/codebook.md section 2), DOM-free:
 * read / write on Uint8Array, and conversion to / from Findable's quantizer classes (../index).
 */
export { indexToFaiss, transformToFaiss } from './from-quantizer.ts';
export { readFaissIndex } from './read-index.ts';
export { faissToIndex, faissTransformToClass } from './to-quantizer.ts';
export * from './types.ts';
export { writeFaissIndex } from './write-index.ts';

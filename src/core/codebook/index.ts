/**
 * The codebook: the frozen index quantizer shipped to the browser (format: docs/codebook.md section 1),
 * its validation, and the activation target t = q(x) computed from it.
 */
export { decodeBase64, decodeFloat32Base64, encodeBase64, encodeFloat32Base64 } from './base64.ts';
export { canonicalJson, codebookContentHash } from './content-hash.ts';
export { codebookFromFaiss, type FromFaissOptions } from './from-faiss.ts';
export { type ParseCodebookOptions, parseCodebook } from './parse.ts';
export { type CodebookJson, type Float32ArrayJson, serializeCodebook, serializeCodebookString } from './serialize.ts';
export { sha256Hex, sha256HexOfString } from './sha256.ts';
export * from './types.ts';
export { validateCodebookParts } from './validate.ts';

/**
 * Public entry of the index quantizers (faiss-compatible, DOM-free). See each file's header for layouts.
 */
export { AdcKernel } from './adc-kernel.ts';
export { CodeStore } from './code-store.ts';
export { assignNearest, knnIntoHeaps, l2sqr, normsSq } from './distances.ts';
export { DotKernel, wasmKernelsAvailable } from './dot-kernel.ts';
export { indexFactory } from './factory.ts';
export { IndexFlat } from './index-flat.ts';
export { type CoarseResult, IndexIVF, type IvfTrainOptions } from './index-ivf.ts';
export { IndexIVFFlat, type IvfFlatParts } from './index-ivf-flat.ts';
export { IndexIVFPQ, type IndexIVFPQOptions, type IvfPqParts } from './index-ivf-pq.ts';
export { IndexLSH, type LshParts } from './index-lsh.ts';
export { IndexPQ } from './index-pq.ts';
export { IndexPreTransform } from './index-pretransform.ts';
export { InvertedLists, type ListParts } from './invlists.ts';
export { type KMeansOptions, type KMeansResult, kmeans, splitClusters, subsampleRows } from './kmeans.ts';
export { LinearTransform, type LinearTransformParts } from './linear-transform.ts';
export { OPQMatrix } from './opq-matrix.ts';
export { PCAMatrix, type PcaParts } from './pca-matrix.ts';
export { adcScan, type PqTrainOptions, ProductQuantizer } from './product-quantizer.ts';
export { RandomRotationMatrix, randomOrthonormalRows } from './random-rotation.ts';
export { ResultHeap } from './result-heap.ts';
export { Mt19937, randPerm } from './rng.ts';
export * from './types.ts';
export { coarseCodeSize } from './util.ts';
export { setWasmKernelsEnabled, wasmKernelsEnabled } from './wasm-asm.ts';

/**
 * Reads a faiss binary index file (faiss 1.7.x faiss.write_index / serialize_index output) from memory.
 *
 * Supported fourccs and their layouts (all little-endian; "vec<T>" = uint64 count then count x T):
 *
 *   header (write_index_header)    d i32 | ntotal i64 | dummy i64 | dummy i64 | is_trained u8 | metric i32
 *                                   [| metric_arg f32 if metric > 1]
 *   "IxF2" / "IxFI" / "IxFl" Flat  header | vec<f32> codes, count = ntotal * d (the count is in floats)
 *   "IxPq" IndexPQ                 header | PQ | vec<u8> codes | search_type i32 | encode_signs u8
 *                                   | polysemous_ht i32            (legacy "IxPQ" has no last three fields)
 *   PQ (ProductQuantizer)          d u64 | M u64 | nbits u64 | vec<f32> centroids (M x 2^nbits x d/M)
 *   IVF header (write_ivf_header)  header | nlist u64 | nprobe u64 | quantizer (a nested index)
 *                                   | direct map: type u8 | vec<i64> array [| vec<(i64,i64)> if type 2]
 *   "IwFl" IndexIVFFlat            IVF header | inverted lists (code_size = 4 d)
 *   "IwPQ" IndexIVFPQ              IVF header | by_residual u8 | code_size u64 | PQ | inverted lists
 *   inverted lists                 "il00" (none) or "ilar" | nlist u64 | code_size u64 | sizes | data
 *     sizes                        "full" | vec<u64> one size per list
 *                                   or "sprs" | vec<u64> (list, size) pairs of the non-empty lists
 *     data                         for each non-empty list in order: size*code_size bytes, then size x i64 ids
 *   "IxHe" IndexLSH                header | nbits i32 | rotate_data u8 | train_thresholds u8 | vec<f32>
 *                                   thresholds | code_size i32 | transform ("rrot") | vec<u8> codes
 *   "IxPT" IndexPreTransform       header | n i32 | n transforms | nested index
 *   transform                      fourcc | type fields | [LinearTransform: have_bias u8 | vec<f32> A
 *                                   (d_out x d_in) | vec<f32> b] | d_in i32 | d_out i32 | is_trained u8
 *     "Pcam" PCAMatrix             eigen_power f32 | epsilon f32 | random_rotation u8 | balanced_bins i32
 *                                   | vec<f32> mean | vec<f32> eigenvalues | vec<f32> PCAMat (older "PcAm"
 *                                   has no epsilon, "PCAm" neither epsilon nor balanced_bins)
 *     "LTra" LinearTransform       nothing else (OPQMatrix is written as "LTra")
 *     "rrot" RandomRotationMatrix  nothing else
 *     "Viqm" ITQMatrix             max_iter i32 | seed i32
 *     "VNrm" NormalizationTransform norm f32 (no LinearTransform fields)
 *     "VCnt" CenteringTransform    vec<f32> mean (no LinearTransform fields)
 *
 * Anything else (other index types, legacy "Iv.." formats, trailing bytes) fails with FAISS_FORMAT.
 */
import { ByteReader } from './byte-reader.ts';
import type {
  FaissDirectMap,
  FaissHeader,
  FaissIndex,
  FaissIndexFlat,
  FaissIndexIVFFlat,
  FaissIndexIVFPQ,
  FaissIndexLSH,
  FaissIndexPQ,
  FaissIndexPreTransform,
  FaissInvertedLists,
  FaissIvfHeader,
  FaissLinearTransform,
  FaissProductQuantizer,
  FaissVectorTransform,
} from './types.ts';

const INDEX_FOURCCS = 'IxF2, IxFI, IxFl, IxPq, IxPQ, IwFl, IwPQ, IxHe, IxPT';
const TRANSFORM_FOURCCS = 'Pcam, PcAm, PCAm, LTra, rrot, Viqm, VNrm, VCnt';
/** IndexPreTransform / IVF nest indexes; real files are 2-3 levels deep. Guards against crafted recursion. */
const MAX_DEPTH = 8;

/** Parses a whole faiss index file; the bytes must hold exactly one index and nothing after it. */
export function readFaissIndex(bytes: Uint8Array): FaissIndex {
  const r = new ByteReader(bytes);
  const index = readIndex(r, 0);
  if (r.remaining !== 0) r.fail('end of file', `${r.remaining} unexpected trailing bytes`);
  return index;
}

function readIndex(r: ByteReader, depth: number): FaissIndex {
  const at = r.offset;
  if (depth > MAX_DEPTH) r.fail('an index', `indexes nested more than ${MAX_DEPTH} deep`);
  const h = r.fourcc('index fourcc');
  switch (h) {
    case 'IxF2':
    case 'IxFI':
    case 'IxFl':
      return readFlat(r, h);
    case 'IxPq':
    case 'IxPQ':
      return readPQ(r, h);
    case 'IwFl':
      return readIVFFlat(r, depth);
    case 'IwPQ':
      return readIVFPQ(r, depth);
    case 'IxHe':
      return readLSH(r);
    case 'IxPT':
      return readPreTransform(r, depth);
    default:
      return r.fail(`an index fourcc (one of ${INDEX_FOURCCS})`, `got ${printable(h)}`, at);
  }
}

function printable(h: string): string {
  return `"${h.replace(/[^\x20-\x7e]/g, '?')}"`;
}

function readHeader(r: ByteReader): FaissHeader {
  const d = r.i32('header d (int32)');
  if (d <= 0) r.fail('header d > 0', `got ${d}`, r.offset - 4);
  const ntotal = r.count('header ntotal (int64)');
  const dummy1 = r.i64('header dummy (int64)');
  const dummy2 = r.i64('header dummy (int64)');
  const isTrained = r.bool('header is_trained');
  const metricType = r.i32('header metric_type (int32)');
  const header: FaissHeader = { d, ntotal, dummy1, dummy2, isTrained, metricType };
  if (metricType > 1) header.metricArg = r.f32('header metric_arg (float)');
  return header;
}

function readFlat(r: ByteReader, fourcc: FaissIndexFlat['fourcc']): FaissIndexFlat {
  const header = readHeader(r);
  const at = r.offset;
  const vectors = r.xbVector('IndexFlat codes');
  if (vectors.length !== header.ntotal * header.d) {
    r.fail(`IndexFlat codes of ntotal * d = ${header.ntotal * header.d} floats`, `got ${vectors.length}`, at);
  }
  return { kind: 'IndexFlat', fourcc, header, vectors };
}

function readProductQuantizer(r: ByteReader): FaissProductQuantizer {
  const at = r.offset;
  const d = r.size('PQ d (size_t)');
  const M = r.size('PQ M (size_t)');
  const nbits = r.size('PQ nbits (size_t)');
  if (M === 0 || d % M !== 0 || nbits === 0 || nbits > 24) {
    r.fail('a ProductQuantizer with M > 0, d % M == 0, 0 < nbits <= 24', `got d=${d} M=${M} nbits=${nbits}`, at);
  }
  const cAt = r.offset;
  const centroids = r.f32Vector('PQ centroids');
  if (centroids.length !== d * 2 ** nbits) {
    r.fail(`PQ centroids of M x ksub x dsub = ${d * 2 ** nbits} floats`, `got ${centroids.length}`, cAt);
  }
  return { d, M, nbits, centroids };
}

function pqCodeSize(pq: FaissProductQuantizer): number {
  return Math.ceil((pq.M * pq.nbits) / 8);
}

function readPQ(r: ByteReader, fourcc: string): FaissIndexPQ {
  const header = readHeader(r);
  const pq = readProductQuantizer(r);
  const at = r.offset;
  const codes = r.u8Vector('IndexPQ codes');
  if (codes.length !== header.ntotal * pqCodeSize(pq)) {
    r.fail(`IndexPQ codes of ntotal * code_size = ${header.ntotal * pqCodeSize(pq)} bytes`, `got ${codes.length}`, at);
  }
  if (fourcc === 'IxPQ') {
    // Legacy layout: no polysemous fields, and faiss forces the metric to L2 (old files said IP wrongly).
    header.metricType = 1;
    return { kind: 'IndexPQ', header, pq, codes, searchType: 0, encodeSigns: false, polysemousHt: 0 };
  }
  const searchType = r.i32('IndexPQ search_type (int32)');
  const encodeSigns = r.bool('IndexPQ encode_signs');
  const polysemousHt = r.i32('IndexPQ polysemous_ht (int32)');
  return { kind: 'IndexPQ', header, pq, codes, searchType, encodeSigns, polysemousHt };
}

function readDirectMap(r: ByteReader): FaissDirectMap {
  const at = r.offset;
  const type = r.u8('direct map type (char)');
  if (type > 2) r.fail('direct map type 0, 1 or 2', `got ${type}`, at);
  const array = r.i64Vector('direct map array');
  if (type !== 2) return { type, array };
  // vector<pair<idx_t, idx_t>>: the count is in pairs.
  const n = r.size('direct map hashtable length');
  return { type, array, hashtable: r.i64Array(2 * n, 'direct map hashtable') };
}

type IvfCommon = Omit<FaissIvfHeader, 'invlists'>;

function readIvfHeader(r: ByteReader, depth: number, what: string): IvfCommon {
  const header = readHeader(r);
  const at = r.offset;
  const nlist = r.size(`${what} nlist (size_t)`);
  if (nlist === 0) r.fail(`${what} nlist > 0`, 'got 0', at);
  const nprobe = r.size(`${what} nprobe (size_t)`);
  const qAt = r.offset;
  const quantizer = readIndex(r, depth + 1);
  if (quantizer.header.d !== header.d) {
    r.fail(`a coarse quantizer of dimension ${header.d}`, `got ${quantizer.header.d}`, qAt);
  }
  if (header.isTrained && quantizer.header.ntotal !== nlist) {
    r.fail(`a coarse quantizer holding nlist = ${nlist} centroids`, `got ${quantizer.header.ntotal}`, qAt);
  }
  const directMap = readDirectMap(r);
  return { header, nlist, nprobe, quantizer, directMap };
}

function readLists(r: ByteReader): { invlists: FaissInvertedLists | null } {
  const at = r.offset;
  const h = r.fourcc('inverted lists fourcc');
  if (h === 'il00') return { invlists: null };
  if (h !== 'ilar') r.fail('inverted lists fourcc "ilar" or "il00"', `got ${printable(h)}`, at);
  const nlist = r.size('inverted lists nlist (size_t)');
  const codeSize = r.size('inverted lists code_size (size_t)');
  const tAt = r.offset;
  const listType = r.fourcc('inverted list sizes type');
  const sizes = new Array<number>(nlist).fill(0);
  if (listType === 'full') {
    const sAt = r.offset;
    const s = r.sizeVector('inverted list sizes');
    if (s.length !== nlist) r.fail(`${nlist} inverted list sizes`, `got ${s.length}`, sAt);
    for (let i = 0; i < nlist; i++) sizes[i] = s[i];
  } else if (listType === 'sprs') {
    const sAt = r.offset;
    const pairs = r.sizeVector('sparse inverted list sizes');
    if (pairs.length % 2 !== 0) r.fail('(list, size) pairs', `odd count ${pairs.length}`, sAt);
    for (let j = 0; j < pairs.length; j += 2) {
      if (pairs[j] >= nlist) r.fail(`a list number < ${nlist}`, `got ${pairs[j]}`, sAt + 8 * (j + 1));
      sizes[pairs[j]] = pairs[j + 1];
    }
  } else {
    r.fail('inverted list sizes type "full" or "sprs"', `got ${printable(listType)}`, tAt);
  }
  const codes: Uint8Array[] = [];
  const ids: BigInt64Array[] = [];
  for (let l = 0; l < nlist; l++) {
    const n = sizes[l];
    codes.push(
      n > 0 ? r.raw(n * codeSize, `codes of inverted list ${l} (${n} x ${codeSize} bytes)`) : new Uint8Array(0),
    );
    ids.push(n > 0 ? r.i64Array(n, `ids of inverted list ${l} (${n} x int64)`) : new BigInt64Array(0));
  }
  return { invlists: { nlist, codeSize, codes, ids } };
}

function checkLists(r: ByteReader, at: number, ivf: IvfCommon, lists: FaissInvertedLists | null, codeSize: number) {
  if (!lists) return;
  if (lists.nlist !== ivf.nlist) r.fail(`inverted lists with nlist = ${ivf.nlist}`, `got ${lists.nlist}`, at);
  if (lists.codeSize !== codeSize) r.fail(`inverted lists with code_size ${codeSize}`, `got ${lists.codeSize}`, at);
  let total = 0;
  for (const l of lists.ids) total += l.length;
  if (total !== ivf.header.ntotal) r.fail(`inverted lists holding ntotal = ${ivf.header.ntotal}`, `got ${total}`, at);
}

function readIVFFlat(r: ByteReader, depth: number): FaissIndexIVFFlat {
  const ivf = readIvfHeader(r, depth, 'IVF-Flat');
  const lAt = r.offset;
  const { invlists } = readLists(r);
  checkLists(r, lAt, ivf, invlists, 4 * ivf.header.d);
  return { kind: 'IndexIVFFlat', ...ivf, invlists };
}

function readIVFPQ(r: ByteReader, depth: number): FaissIndexIVFPQ {
  const ivf = readIvfHeader(r, depth, 'IVF-PQ');
  const byResidual = r.bool('IVF-PQ by_residual');
  const csAt = r.offset;
  const codeSize = r.size('IVF-PQ code_size (size_t)');
  const pqAt = r.offset;
  const pq = readProductQuantizer(r);
  if (pq.d !== ivf.header.d) r.fail(`a PQ of dimension ${ivf.header.d}`, `got ${pq.d}`, pqAt);
  if (codeSize !== pqCodeSize(pq)) r.fail(`code_size = ${pqCodeSize(pq)}`, `got ${codeSize}`, csAt);
  const lAt = r.offset;
  const { invlists } = readLists(r);
  checkLists(r, lAt, ivf, invlists, codeSize);
  return { kind: 'IndexIVFPQ', ...ivf, byResidual, codeSize, pq, invlists };
}

function readLSH(r: ByteReader): FaissIndexLSH {
  const header = readHeader(r);
  const nAt = r.offset;
  const nbits = r.i32('IndexLSH nbits (int32)');
  if (nbits <= 0) r.fail('IndexLSH nbits > 0', `got ${nbits}`, nAt);
  const rotateData = r.bool('IndexLSH rotate_data');
  const trainThresholds = r.bool('IndexLSH train_thresholds');
  const thresholds = r.f32Vector('IndexLSH thresholds');
  const csAt = r.offset;
  const codeSize = r.i32('IndexLSH code_size (int32)');
  if (codeSize !== Math.ceil(nbits / 8))
    r.fail(`IndexLSH code_size = ${Math.ceil(nbits / 8)}`, `got ${codeSize}`, csAt);
  const tAt = r.offset;
  const rrot = readTransform(r);
  if (rrot.kind !== 'LinearTransform' || rrot.fourcc !== 'rrot') r.fail('an "rrot" random rotation', undefined, tAt);
  if (rrot.dIn !== header.d || rrot.dOut !== nbits) {
    r.fail(`a rotation ${header.d} -> ${nbits}`, `got ${rrot.dIn} -> ${rrot.dOut}`, tAt);
  }
  const cAt = r.offset;
  const codes = r.u8Vector('IndexLSH codes');
  if (codes.length !== header.ntotal * codeSize) {
    r.fail(`IndexLSH codes of ntotal * code_size = ${header.ntotal * codeSize} bytes`, `got ${codes.length}`, cAt);
  }
  return { kind: 'IndexLSH', header, nbits, rotateData, trainThresholds, thresholds, codeSize, rrot, codes };
}

function readPreTransform(r: ByteReader, depth: number): FaissIndexPreTransform {
  const header = readHeader(r);
  const nAt = r.offset;
  const nt = r.i32('IndexPreTransform chain length (int32)');
  if (nt < 0 || nt > 64) r.fail('a chain length between 0 and 64', `got ${nt}`, nAt);
  const chain: FaissVectorTransform[] = [];
  let dim = header.d;
  for (let i = 0; i < nt; i++) {
    const tAt = r.offset;
    const t = readTransform(r);
    if (t.dIn !== dim) r.fail(`transform ${i} with d_in = ${dim}`, `got ${t.dIn}`, tAt);
    dim = t.dOut;
    chain.push(t);
  }
  const iAt = r.offset;
  const index = readIndex(r, depth + 1);
  if (index.header.d !== dim) r.fail(`a sub-index of dimension ${dim}`, `got ${index.header.d}`, iAt);
  return { kind: 'IndexPreTransform', header, chain, index };
}

function readTransform(r: ByteReader): FaissVectorTransform {
  const at = r.offset;
  const h = r.fourcc('transform fourcc');
  if (h === 'VNrm') {
    const norm = r.f32('NormalizationTransform norm (float)');
    return { kind: 'NormalizationTransform', norm, ...readTransformCommon(r) };
  }
  if (h === 'VCnt') {
    const mean = r.f32Vector('CenteringTransform mean');
    return { kind: 'CenteringTransform', mean, ...readTransformCommon(r) };
  }
  if (h !== 'LTra' && h !== 'rrot' && h !== 'Pcam' && h !== 'PcAm' && h !== 'PCAm' && h !== 'Viqm') {
    return r.fail(`a transform fourcc (one of ${TRANSFORM_FOURCCS})`, `got ${printable(h)}`, at);
  }
  const lt: Partial<FaissLinearTransform> = { kind: 'LinearTransform', fourcc: h };
  if (h === 'Pcam' || h === 'PcAm' || h === 'PCAm') {
    const eigenPower = r.f32('PCAMatrix eigen_power (float)');
    const epsilon = h === 'Pcam' ? r.f32('PCAMatrix epsilon (float)') : undefined;
    const randomRotation = r.bool('PCAMatrix random_rotation');
    const balancedBins = h !== 'PCAm' ? r.i32('PCAMatrix balanced_bins (int32)') : undefined;
    const mean = r.f32Vector('PCAMatrix mean');
    const eigenvalues = r.f32Vector('PCAMatrix eigenvalues');
    const PCAMat = r.f32Vector('PCAMatrix PCAMat');
    lt.pca = { eigenPower, randomRotation, mean, eigenvalues, PCAMat };
    if (epsilon !== undefined) lt.pca.epsilon = epsilon;
    if (balancedBins !== undefined) lt.pca.balancedBins = balancedBins;
  } else if (h === 'Viqm') {
    lt.itq = { maxIter: r.i32('ITQMatrix max_iter (int32)'), seed: r.i32('ITQMatrix seed (int32)') };
  }
  lt.haveBias = r.bool('LinearTransform have_bias');
  const aAt = r.offset;
  lt.A = r.f32Vector('LinearTransform A');
  const bAt = r.offset;
  lt.b = r.f32Vector('LinearTransform b');
  const common = readTransformCommon(r);
  const full = { ...lt, ...common } as FaissLinearTransform;
  // faiss accepts an empty A for untrained transforms (e.g. the unused rotation inside IndexLSH).
  if (full.A.length !== 0 && full.A.length !== full.dIn * full.dOut) {
    r.fail(`A of d_out x d_in = ${full.dOut * full.dIn} floats`, `got ${full.A.length}`, aAt);
  }
  if (full.haveBias && full.b.length !== full.dOut)
    r.fail(`b of d_out = ${full.dOut} floats`, `got ${full.b.length}`, bAt);
  return full;
}

function readTransformCommon(r: ByteReader): { dIn: number; dOut: number; isTrained: boolean } {
  const at = r.offset;
  const dIn = r.i32('transform d_in (int32)');
  const dOut = r.i32('transform d_out (int32)');
  if (dIn <= 0 || dOut <= 0) r.fail('transform d_in > 0 and d_out > 0', `got ${dIn} -> ${dOut}`, at);
  const isTrained = r.bool('transform is_trained');
  return { dIn, dOut, isTrained };
}

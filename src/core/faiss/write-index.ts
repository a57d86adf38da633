/**
 * Writes faiss-shaped index data (types.ts) as a faiss binary index file that faiss.read_index accepts.
 * The layout is the one documented in read-index.ts; this file mirrors faiss 1.7.3 impl/index_write.cpp
 * field by field, including its choices that are not visible in the data model:
 *   - inverted list sizes are stored "full" when more than nlist / 2 (integer division) lists are non-empty,
 *     otherwise "sprs" (pairs for the non-empty lists only), exactly as faiss decides;
 *   - IndexPQ is always written as "IxPq" (with the polysemous fields), LSH as "IxHe".
 * So readFaissIndex -> writeFaissIndex reproduces a faiss-written file byte for byte.
 */
import { FindableError } from '../errors.ts';
import { ByteWriter } from './byte-writer.ts';
import type {
  FaissDirectMap,
  FaissHeader,
  FaissIndex,
  FaissInvertedLists,
  FaissIvfHeader,
  FaissProductQuantizer,
  FaissVectorTransform,
} from './types.ts';

export function writeFaissIndex(index: FaissIndex): Uint8Array {
  const w = new ByteWriter();
  writeIndex(w, index);
  return w.toBytes();
}

function writeIndex(w: ByteWriter, index: FaissIndex): void {
  switch (index.kind) {
    case 'IndexFlat':
      w.fourcc(index.fourcc);
      writeHeader(w, index.header);
      expectLength('IndexFlat vectors', index.vectors.length, index.header.ntotal * index.header.d);
      w.xbVector(index.vectors);
      return;
    case 'IndexPQ':
      w.fourcc('IxPq');
      writeHeader(w, index.header);
      writePQ(w, index.pq);
      w.u8Vector(index.codes);
      w.i32(index.searchType);
      w.bool(index.encodeSigns);
      w.i32(index.polysemousHt);
      return;
    case 'IndexIVFFlat':
      w.fourcc('IwFl');
      writeIvfHeader(w, index);
      writeLists(w, index.invlists);
      return;
    case 'IndexIVFPQ':
      w.fourcc('IwPQ');
      writeIvfHeader(w, index);
      w.bool(index.byResidual);
      w.size(index.codeSize);
      writePQ(w, index.pq);
      writeLists(w, index.invlists);
      return;
    case 'IndexLSH':
      w.fourcc('IxHe');
      writeHeader(w, index.header);
      w.i32(index.nbits);
      w.bool(index.rotateData);
      w.bool(index.trainThresholds);
      w.f32Vector(index.thresholds);
      w.i32(index.codeSize);
      writeTransform(w, index.rrot);
      w.u8Vector(index.codes);
      return;
    case 'IndexPreTransform':
      w.fourcc('IxPT');
      writeHeader(w, index.header);
      w.i32(index.chain.length);
      for (const t of index.chain) writeTransform(w, t);
      writeIndex(w, index.index);
      return;
    default: {
      const never: never = index;
      throw new FindableError('INVALID_ARGUMENT', `faiss writer: unsupported index ${JSON.stringify(never)}`);
    }
  }
}

function expectLength(what: string, got: number, expected: number): void {
  if (got !== expected) {
    throw new FindableError('SHAPE_MISMATCH', `faiss writer: ${what} has ${got} elements, expected ${expected}`);
  }
}

function writeHeader(w: ByteWriter, h: FaissHeader): void {
  w.i32(h.d);
  w.i64(BigInt(h.ntotal));
  w.i64(h.dummy1);
  w.i64(h.dummy2);
  w.bool(h.isTrained);
  w.i32(h.metricType);
  if (h.metricType > 1) w.f32(h.metricArg ?? 0);
}

function writePQ(w: ByteWriter, pq: FaissProductQuantizer): void {
  expectLength('PQ centroids', pq.centroids.length, pq.d * 2 ** pq.nbits);
  w.size(pq.d);
  w.size(pq.M);
  w.size(pq.nbits);
  w.f32Vector(pq.centroids);
}

function writeDirectMap(w: ByteWriter, dm: FaissDirectMap): void {
  w.u8(dm.type);
  w.i64Vector(dm.array);
  if (dm.type === 2) {
    const pairs = dm.hashtable ?? new BigInt64Array(0);
    w.size(pairs.length / 2);
    w.i64Array(pairs);
  }
}

function writeIvfHeader(w: ByteWriter, ivf: FaissIvfHeader): void {
  writeHeader(w, ivf.header);
  w.size(ivf.nlist);
  w.size(ivf.nprobe);
  writeIndex(w, ivf.quantizer);
  writeDirectMap(w, ivf.directMap);
}

function writeLists(w: ByteWriter, lists: FaissInvertedLists | null): void {
  if (!lists) {
    w.fourcc('il00');
    return;
  }
  expectLength('inverted lists', lists.ids.length, lists.nlist);
  expectLength('inverted list codes', lists.codes.length, lists.nlist);
  w.fourcc('ilar');
  w.size(lists.nlist);
  w.size(lists.codeSize);
  let nonEmpty = 0;
  for (const ids of lists.ids) if (ids.length > 0) nonEmpty++;
  if (nonEmpty > Math.floor(lists.nlist / 2)) {
    w.fourcc('full');
    w.sizeVector(lists.ids.map((ids) => ids.length));
  } else {
    w.fourcc('sprs');
    const pairs: number[] = [];
    lists.ids.forEach((ids, l) => {
      if (ids.length > 0) pairs.push(l, ids.length);
    });
    w.sizeVector(pairs);
  }
  for (let l = 0; l < lists.nlist; l++) {
    const n = lists.ids[l].length;
    if (n === 0) continue;
    expectLength(`codes of inverted list ${l}`, lists.codes[l].length, n * lists.codeSize);
    w.raw(lists.codes[l]);
    w.i64Array(lists.ids[l]);
  }
}

function writeTransform(w: ByteWriter, t: FaissVectorTransform): void {
  if (t.kind === 'NormalizationTransform') {
    w.fourcc('VNrm');
    w.f32(t.norm);
  } else if (t.kind === 'CenteringTransform') {
    w.fourcc('VCnt');
    w.f32Vector(t.mean);
  } else {
    w.fourcc(t.fourcc);
    if (t.fourcc === 'Pcam' || t.fourcc === 'PcAm' || t.fourcc === 'PCAm') {
      const p = t.pca;
      if (!p) throw new FindableError('INVALID_ARGUMENT', `faiss writer: "${t.fourcc}" transform needs its PCA fields`);
      w.f32(p.eigenPower);
      if (t.fourcc === 'Pcam') w.f32(p.epsilon ?? 0);
      w.bool(p.randomRotation);
      if (t.fourcc !== 'PCAm') w.i32(p.balancedBins ?? 0);
      w.f32Vector(p.mean);
      w.f32Vector(p.eigenvalues);
      w.f32Vector(p.PCAMat);
    } else if (t.fourcc === 'Viqm') {
      w.i32(t.itq?.maxIter ?? 0);
      w.i32(t.itq?.seed ?? 0);
    }
    w.bool(t.haveBias);
    w.f32Vector(t.A);
    w.f32Vector(t.b);
  }
  w.i32(t.dIn);
  w.i32(t.dOut);
  w.bool(t.isTrained);
}

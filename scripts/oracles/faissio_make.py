#!/usr/bin/python3
"""faiss oracle for src/core/faiss (index file reader/writer) and src/core/codebook (activation targets).

Trains small faiss indexes of every supported type on seeded Gaussian data and writes, for each case NAME,
into src/core/faiss/__fixtures__/:
  NAME.index  the file written by faiss.write_index (faiss 1.7.3, Debian python3-faiss)
  NAME.json   the expected values: parsed fields as faiss sees them, search results (k-NN ids and squared L2
              / Hamming distances) for nq queries, sa_encode codes and sa_decode reconstructions of the
              queries (= the activation target q(x)), the coarse list of each query, and reconstruct_n of the
              first stored vectors. Float arrays are base64 little-endian float32 so they stay bit-exact.

Run: /usr/bin/python3 scripts/oracles/faissio_make.py   (needs python3-faiss; the python3 on PATH lacks it)
Deterministic: same seed, same files (faiss k-means uses fixed seeds; OMP is limited to 1 thread).
"""
import base64
import hashlib
import json
import os
import sys

os.environ.setdefault('OMP_NUM_THREADS', '1')

import faiss  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'core', 'faiss', '__fixtures__')
NQ = 16  # < 20: faiss flat search then uses its exact per-pair loop, not the BLAS ||x||^2 + ||y||^2 - 2xy path
K = 10
NTRAIN = 2000

# name, d, factory, ntotal, nprobe, options
CASES = [
    ('flat', 32, 'Flat', 1000, None, {}),
    ('pq', 32, 'PQ8', 2000, None, {}),
    ('ivfflat', 32, 'IVF16,Flat', 1000, 4, {'direct_map': True}),
    ('ivfpq', 64, 'IVF32,PQ8', 2000, 4, {}),
    ('ivfpq_sparse', 32, 'IVF16,PQ4', 3, 16, {}),
    ('opq_ivfpq', 32, 'OPQ8,IVF16,PQ8', 1000, 4, {}),
    ('pcar_ivfpq', 32, 'PCAR16,IVF16,PQ4', 500, 2, {}),
    ('pca_lsh', 64, 'PCA32,LSH', 2000, None, {}),
    ('lshrt', 32, 'LSHrt', 500, None, {}),
    ('ivfpq_nores', 32, 'IVF8,PQ8', 200, 2, {'by_residual': False}),
]


def b64(a, dtype='<f4'):
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode('ascii')


def digest(a, dtype='<f4'):
    """Compact exact fingerprint of a (possibly large) array: element count, sha256 of its LE bytes, head."""
    raw = np.ascontiguousarray(a, dtype=dtype)
    return {'n': int(raw.size), 'sha256': hashlib.sha256(raw.tobytes()).hexdigest(),
            'head': [float(v) for v in raw.ravel()[:4]]}


def fl(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def transform_fields(vt):
    vt = faiss.downcast_VectorTransform(vt)
    f = {'class': type(vt).__name__, 'd_in': vt.d_in, 'd_out': vt.d_out, 'is_trained': bool(vt.is_trained)}
    if isinstance(vt, faiss.LinearTransform):
        f['have_bias'] = bool(vt.have_bias)
        f['A'] = digest(faiss.vector_to_array(vt.A))
        f['b'] = digest(faiss.vector_to_array(vt.b))
    if isinstance(vt, faiss.PCAMatrix):
        f['eigen_power'] = float(vt.eigen_power)
        f['random_rotation'] = bool(vt.random_rotation)
        f['mean'] = digest(faiss.vector_to_array(vt.mean))
        f['eigenvalues'] = digest(faiss.vector_to_array(vt.eigenvalues))
    return f


def index_fields(index):
    index = faiss.downcast_index(index)
    f = {
        'class': type(index).__name__,
        'd': index.d,
        'ntotal': index.ntotal,
        'is_trained': bool(index.is_trained),
        'metric_type': int(index.metric_type),
    }
    if isinstance(index, faiss.IndexPreTransform):
        f['chain'] = [transform_fields(index.chain.at(i)) for i in range(index.chain.size())]
        f['index'] = index_fields(index.index)
    if isinstance(index, faiss.IndexFlat):
        f['vectors'] = digest(faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d))
    if isinstance(index, (faiss.IndexPQ, faiss.IndexIVFPQ)):
        pq = index.pq
        f['pq'] = {'d': pq.d, 'M': pq.M, 'nbits': pq.nbits, 'centroids': digest(faiss.vector_to_array(pq.centroids))}
    if isinstance(index, faiss.IndexPQ):
        f['codes'] = digest(faiss.vector_to_array(index.codes), '<u1')
        f['search_type'] = int(index.search_type)
        f['encode_signs'] = bool(index.encode_signs)
        f['polysemous_ht'] = int(index.polysemous_ht)
    if isinstance(index, faiss.IndexIVF):
        f['nlist'] = index.nlist
        f['nprobe'] = index.nprobe
        f['code_size'] = index.code_size
        f['quantizer'] = index_fields(index.quantizer)
        f['direct_map_type'] = int(index.direct_map.type)
        f['direct_map_array'] = digest(faiss.vector_to_array(index.direct_map.array), '<i8')
        inv = index.invlists
        f['list_sizes'] = [inv.list_size(i) for i in range(index.nlist)]
        lists = []
        for i in range(index.nlist):
            n = inv.list_size(i)
            ids = faiss.rev_swig_ptr(inv.get_ids(i), n).copy() if n else np.zeros(0, 'int64')
            codes = faiss.rev_swig_ptr(inv.get_codes(i), n * inv.code_size).copy() if n else np.zeros(0, 'uint8')
            lists.append({'ids': digest(ids, '<i8'), 'codes': digest(codes, '<u1')})
        f['lists'] = lists
    if isinstance(index, faiss.IndexIVFPQ):
        f['by_residual'] = bool(index.by_residual)
    if isinstance(index, faiss.IndexLSH):
        f['nbits'] = index.nbits
        f['rotate_data'] = bool(index.rotate_data)
        f['train_thresholds'] = bool(index.train_thresholds)
        f['thresholds'] = digest(faiss.vector_to_array(index.thresholds))
        f['code_size'] = index.code_size
        f['codes'] = digest(faiss.vector_to_array(index.codes), '<u1')
        f['rrot'] = transform_fields(index.rrot)
    return f


def coarse_assign(index, xq):
    """List number of each query for IVF indexes (after the pre-transform chain), else None."""
    index = faiss.downcast_index(index)
    x = xq
    if isinstance(index, faiss.IndexPreTransform):
        for i in range(index.chain.size()):
            x = faiss.downcast_VectorTransform(index.chain.at(i)).apply_py(x)
        index = faiss.downcast_index(index.index)
    if not isinstance(index, faiss.IndexIVF):
        return None, None
    _, assign = index.quantizer.search(x, 1)
    centroids = index.quantizer.reconstruct_n(0, index.nlist)
    return assign.ravel(), centroids[assign.ravel()]


def speed_up_training(index):
    """Fewer k-means / OPQ iterations than faiss's defaults: these fixtures test file I/O and search
    equivalence, not training quality, and Debian's faiss trains slowly on a loaded 2-core machine."""
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexPreTransform):
        for i in range(index.chain.size()):
            vt = faiss.downcast_VectorTransform(index.chain.at(i))
            if isinstance(vt, faiss.OPQMatrix):
                vt.niter = 4
                vt.niter_pq = 2
                vt.niter_pq_0 = 4
        index = faiss.downcast_index(index.index)
    if isinstance(index, (faiss.IndexPQ, faiss.IndexIVFPQ)):
        index.pq.cp.niter = 6
    if isinstance(index, faiss.IndexIVF):
        index.cp.niter = 10


def make_case(name, d, factory, ntotal, nprobe, opts, rs):
    xt = rs.randn(NTRAIN, d).astype('float32')
    xb = rs.randn(ntotal, d).astype('float32')
    xq = rs.randn(NQ, d).astype('float32')
    index = faiss.index_factory(d, factory)
    speed_up_training(index)
    if 'by_residual' in opts:
        # downcast: extract_index_ivf returns an IndexIVF proxy whose by_residual is not IndexIVFPQ's field
        faiss.downcast_index(faiss.extract_index_ivf(index)).by_residual = opts['by_residual']
    index.train(xt)
    index.add(xb)
    if nprobe is not None:
        faiss.extract_index_ivf(index).nprobe = nprobe
    if opts.get('direct_map'):
        faiss.extract_index_ivf(index).make_direct_map()
    path = os.path.join(OUT, name + '.index')
    faiss.write_index(index, path)
    dist, ids = index.search(xq, K)
    codes = index.sa_encode(xq)
    decoded = index.sa_decode(codes)
    assign, centroid_targets = coarse_assign(index, xq)
    nrec = min(8, ntotal)
    try:
        recons = index.reconstruct_n(0, nrec)
    except RuntimeError:
        recons = None
    out = {
        'name': name,
        'factory': factory,
        'd': d,
        'ntotal': ntotal,
        'nprobe': nprobe,
        'k': K,
        'nq': NQ,
        'queries': b64(xq),
        'searchIds': [int(v) for v in ids.ravel()],
        'searchDistances': fl(dist),
        'saCodeSize': int(index.sa_code_size()),
        'saCodes': b64(codes, '<u1'),
        'saDecoded': b64(decoded),
        'coarseAssign': None if assign is None else [int(v) for v in assign],
        'coarseCentroidTargets': None if centroid_targets is None else b64(centroid_targets),
        'reconstructN': nrec if recons is not None else 0,
        'reconstructed': None if recons is None else b64(recons),
        'fields': index_fields(index),
    }
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    sizes = (os.path.getsize(path), os.path.getsize(os.path.join(OUT, name + '.json')))
    print(f'{name:14s} {factory:18s} index {sizes[0]:7d} B  json {sizes[1]:7d} B')


def main():
    os.makedirs(OUT, exist_ok=True)
    faiss.omp_set_num_threads(1)
    only = set(sys.argv[1:])
    for i, (name, d, factory, ntotal, nprobe, opts) in enumerate(CASES):
        if only and name not in only:
            continue
        make_case(name, d, factory, ntotal, nprobe, opts, np.random.RandomState(1000 + i))


if __name__ == '__main__':
    main()

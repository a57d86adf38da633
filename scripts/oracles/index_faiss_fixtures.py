#!/usr/bin/python3
"""faiss oracle for src/core/index (faiss 1.7.3 from Debian's python3-faiss).

Run with the system interpreter that sees faiss:   /usr/bin/python3 scripts/oracles/index_faiss_fixtures.py
Writes src/core/index/__fixtures__/<case>.json (metadata + array directory) and <case>.bin (the arrays,
little-endian, each starting at a multiple of 8 bytes). Array dtypes: f32, u8, i32 (faiss int64 ids are
written as int32: they are small here). Every file stays < 500 KB.

IVF-PQ / PQ factory strings carry the "np" suffix: no polysemous training (it only permutes the codebook,
which does not change what we compare, and takes minutes).

Data: Gaussian mixtures quantised to 8 bits, x = (u8 - 128) / 16, so that the float32 values are exact and
both sides see bit-identical inputs; the u8 arrays are stored and the tests rebuild x the same way.
"""
import json
import os

import faiss
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'core', 'index', '__fixtures__')
faiss.omp_set_num_threads(1)


def save(name, meta, arrays):
    directory = {}
    blob = bytearray()
    for key, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype == np.float32:
            dt = 'f32'
        elif arr.dtype == np.uint8:
            dt = 'u8'
        elif arr.dtype in (np.int32, np.int64):
            assert arr.size == 0 or (arr.min() >= -2**31 and arr.max() < 2**31)
            arr = arr.astype('<i4')
            dt = 'i32'
        else:
            raise TypeError(f'{key}: {arr.dtype}')
        while len(blob) % 8:
            blob.append(0)
        directory[key] = {'dtype': dt, 'shape': list(arr.shape), 'offset': len(blob)}
        blob += arr.astype(arr.dtype.newbyteorder('<')).tobytes()
    assert len(blob) < 500_000, (name, len(blob))
    with open(os.path.join(OUT, name + '.bin'), 'wb') as f:
        f.write(blob)
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump({'faiss': faiss.__version__, 'meta': meta, 'arrays': directory}, f, indent=1)
    print(f'{name}: {len(blob)} bytes')


def mixture_u8(n, d, ncenters, seed, spread=2.0):
    rs = np.random.RandomState(seed)
    centers = rs.randn(ncenters, d) * spread
    lab = rs.randint(0, ncenters, n)
    v = centers[lab] + rs.randn(n, d) * 0.7
    return np.clip(np.round(v * 16 + 128), 0, 255).astype(np.uint8)


def to_f32(u8):
    return ((u8.astype(np.float32) - 128) / 16).astype(np.float32)


def mse(a, b):
    return float(((a.astype(np.float64) - b) ** 2).sum(1).mean())


# ---------------------------------------------------------------- rng / k-means initialisation and splitting
def case_kmeans():
    arrays = {}
    meta = {}
    perm = np.zeros(1000, dtype='int32')
    faiss.rand_perm(faiss.swig_ptr(perm), 1000, 1234)
    arrays['perm1000_1234'] = perm
    rg = faiss.RandomGenerator(1234)
    arrays['mt1234'] = np.array([rg.rand_int() for _ in range(700)], dtype='int32')  # mt() & 0x7fffffff

    # init only (niter = 0) and init after subsampling (n > k * max_points_per_centroid)
    u = mixture_u8(3000, 8, 10, 1)
    x = to_f32(u)
    arrays['init_x'] = u
    for name, maxp in [('init_plain', 256), ('init_sub', 64)]:
        cl = faiss.Clustering(8, 16)
        cl.niter = 0
        cl.max_points_per_centroid = maxp
        cl.train(x, faiss.IndexFlatL2(8))
        arrays[name] = faiss.vector_to_array(cl.centroids).reshape(16, 8)

    # empty clusters: 300 points drawn from 20 distinct values, k = 30 -> duplicated initial centroids
    rs = np.random.RandomState(7)
    vals = np.round(rs.randn(20, 4) * 16) / 16
    xs = vals[rs.randint(0, 20, 300)].astype(np.float32)
    cl = faiss.Clustering(4, 30)
    cl.niter = 4
    cl.train(xs, faiss.IndexFlatL2(4))
    arrays['split_x'] = xs
    arrays['split_centroids'] = faiss.vector_to_array(cl.centroids).reshape(30, 4)
    stats = cl.iteration_stats
    meta['split_obj'] = [stats.at(i).obj for i in range(stats.size())]
    meta['split_nsplit'] = [stats.at(i).nsplit for i in range(stats.size())]

    # quality: 5000 x 64 mixture, k = 32, 25 iterations
    u = mixture_u8(5000, 64, 50, 2)
    x = to_f32(u)
    km = faiss.Kmeans(64, 32, niter=25, seed=1234)
    km.train(x)
    D, _ = km.index.search(x, 1)
    arrays['q_x'] = u
    meta['q_faiss_obj'] = [km.iteration_stats[i]['obj'] for i in range(25)]
    meta['q_faiss_mse'] = float(D.astype(np.float64).mean())
    save('kmeans', meta, arrays)


# ---------------------------------------------------------------- Flat
def case_flat():
    u = mixture_u8(600, 16, 12, 3)
    q = mixture_u8(30, 16, 12, 4)
    index = faiss.IndexFlatL2(16)
    index.add(to_f32(u))
    D, I = index.search(to_f32(q), 7)
    save('flat', {'k': 7}, {'x': u, 'q': q, 'D': D, 'I': I})


# ---------------------------------------------------------------- PQ
def case_pq():
    d, M = 32, 8
    u = mixture_u8(3000, d, 40, 5)
    x = to_f32(u)
    q = mixture_u8(40, d, 40, 6)
    index = faiss.IndexPQ(d, M, 8)
    index.pq.cp.niter = 10
    index.train(x[:2000])
    index.add(x[2000:])
    D, I = index.search(to_f32(q), 10)
    codes = index.sa_encode(x[2000:])
    rec = index.sa_decode(index.sa_encode(to_f32(q)))
    meta = {'d': d, 'M': M, 'k': 10, 'niter': 10, 'ntrain': 2000,
            'faiss_mse_train': mse(x[:2000], index.sa_decode(index.sa_encode(x[:2000]))),
            'faiss_mse_db': mse(x[2000:], index.sa_decode(codes))}
    save('pq', meta, {'x': u, 'q': q, 'pq_centroids': faiss.vector_to_array(index.pq.centroids),
                      'codes': codes, 'D': D, 'I': I, 'q_rec': rec})


# ---------------------------------------------------------------- IVF-PQ and IVF-Flat
def case_ivfpq():
    d, nlist, M = 32, 32, 8
    u = mixture_u8(4000, d, 60, 8)
    x = to_f32(u)
    q = to_f32(mixture_u8(40, d, 60, 9))
    index = faiss.index_factory(d, f'IVF{nlist},PQ{M}x8np')
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    ivf.pq.cp.niter = 10
    index.train(x[:3000])
    ids = np.arange(3000, 4000, dtype='int64') * 3 + 7  # non-trivial ids
    index.add_with_ids(x[3000:], ids)
    res = {}
    for nprobe in (1, 4):
        ivf.nprobe = nprobe
        D, I = index.search(q, 10)
        res[f'D{nprobe}'] = D
        res[f'I{nprobe}'] = I
    centroids = ivf.quantizer.reconstruct_n(0, nlist)
    sa = index.sa_encode(x[3000:])
    meta = {'d': d, 'nlist': nlist, 'M': M, 'k': 10, 'pq_niter': 10, 'ntrain': 3000,
            'faiss_mse_train': mse(x[:3000], index.sa_decode(index.sa_encode(x[:3000]))),
            'faiss_mse_db': mse(x[3000:], index.sa_decode(sa))}
    save('ivfpq', meta, dict(x=u, q=q, ids=ids, centroids=centroids,
                             pq_centroids=faiss.vector_to_array(ivf.pq.centroids), sa_codes=sa,
                             q_rec=index.sa_decode(index.sa_encode(q)), **res))

    # tiny lists: 20 vectors in 16 lists, k = 8, nprobe 1 -> -1 padding
    coarse = faiss.IndexFlatL2(d)
    small = faiss.IndexIVFFlat(coarse, d, 16)
    small.train(x[:1000])
    small.add(x[1000:1020])
    small.nprobe = 1
    D1, I1 = small.search(q[:10], 8)
    small.nprobe = 3
    D3, I3 = small.search(q[:10], 8)
    flat_sa = small.sa_encode(x[1000:1003])
    save('ivfflat', {'d': d, 'nlist': 16, 'k': 8},
         dict(centroids=small.quantizer.reconstruct_n(0, 16), x=x[1000:1020], q=q[:10], D1=D1, I1=I1, D3=D3, I3=I3,
              sa_codes=flat_sa))


# ---------------------------------------------------------------- OPQ
def case_opq():
    d, M, nlist = 16, 4, 8
    rs = np.random.RandomState(10)
    u = mixture_u8(2000, d, 30, 11)
    # correlate dimensions so that the rotation matters
    mix = rs.randn(d, d).astype(np.float32) * 0.3 + np.eye(d, dtype=np.float32)
    x = (to_f32(u) @ mix).astype(np.float32)
    q = (to_f32(mixture_u8(30, d, 30, 12)) @ mix).astype(np.float32)
    out = {'x': x, 'q': q}
    meta = {'d': d, 'M': M, 'nlist': nlist, 'k': 5, 'opq_niter': 8, 'pq_niter': 10}
    # OPQ + IVF-PQ, faiss-trained parts
    index = faiss.index_factory(d, f'OPQ{M},IVF{nlist},PQ{M}x8np')
    opq = faiss.downcast_VectorTransform(index.chain.at(0))
    opq.niter = meta['opq_niter']
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    ivf.pq.cp.niter = meta['pq_niter']
    index.train(x)
    index.add(x[:500])
    ivf.nprobe = 2
    D, I = index.search(q, 5)
    out.update(A=faiss.vector_to_array(opq.A).reshape(d, d), centroids=ivf.quantizer.reconstruct_n(0, nlist),
               pq_centroids=faiss.vector_to_array(ivf.pq.centroids), D=D, I=I, sa_codes=index.sa_encode(x[:500]),
               q_rec=index.sa_decode(index.sa_encode(q)))
    # OPQ + PQ quality: faiss OPQ (niter 8) vs plain PQ
    for name in (f'OPQ{M},PQ{M}x8np', f'PQ{M}x8np'):
        ix = faiss.index_factory(d, name)
        if name.startswith('OPQ'):
            faiss.downcast_VectorTransform(ix.chain.at(0)).niter = meta['opq_niter']
            faiss.downcast_index(ix.index).pq.cp.niter = meta['pq_niter']
        else:
            ix.pq.cp.niter = meta['pq_niter']
        ix.train(x)
        meta['faiss_mse_' + ('opq' if name.startswith('OPQ') else 'pq')] = mse(x, ix.sa_decode(ix.sa_encode(x)))
    # OPQ with dimension reduction: OPQ4_8
    ix = faiss.index_factory(d, f'OPQ{M}_8,PQ{M}x8np')
    o2 = faiss.downcast_VectorTransform(ix.chain.at(0))
    o2.niter = 4
    ix.train(x)
    out.update(A8=faiss.vector_to_array(o2.A).reshape(8, d), pq8=faiss.vector_to_array(faiss.downcast_index(ix.index).pq.centroids),
               rec8=ix.sa_decode(ix.sa_encode(q)), codes8=ix.sa_encode(q))
    save('opq', meta, out)


# ---------------------------------------------------------------- PCA + LSH
def case_lsh():
    d = 32
    u = mixture_u8(1500, d, 20, 13)
    x = to_f32(u)
    q = to_f32(mixture_u8(30, d, 20, 14))
    out = {'x': u, 'q': q}
    pca = faiss.PCAMatrix(d, 16)
    pca.train(x)
    out.update(pca_mean=faiss.vector_to_array(pca.mean), pca_eig=faiss.vector_to_array(pca.eigenvalues),
               pca_A=faiss.vector_to_array(pca.A).reshape(16, d), pca_b=faiss.vector_to_array(pca.b),
               pca_y=pca.apply_py(q), pca_back=pca.reverse_transform(pca.apply_py(q)))
    pw = faiss.PCAMatrix(d, 16, -0.5, False)
    pw.train(x)
    out['pcaw_A'] = faiss.vector_to_array(pw.A).reshape(16, d)

    # PCA16,LSH: faiss-trained PCA, then LSH (16 bits, no rotation)
    index = faiss.index_factory(d, 'PCA16,LSH')
    index.train(x)
    index.add(x[:1000])
    D, I = index.search(q, 6)
    p2 = faiss.downcast_VectorTransform(index.chain.at(0))
    out.update(pl_mean=faiss.vector_to_array(p2.mean), pl_A=faiss.vector_to_array(p2.A).reshape(16, d),
               pl_b=faiss.vector_to_array(p2.b), pl_codes=index.sa_encode(x[:1000]), pl_D=D, pl_I=I,
               pl_rec=index.sa_decode(index.sa_encode(q)))

    # LSH48r: random rotation 48 x 32? faiss needs nbits <= d for our port: use LSH24rt (rotation + thresholds)
    lsh = faiss.IndexLSH(d, 24, True, True)
    lsh.train(x)
    lsh.add(x[:1000])
    D, I = lsh.search(q, 6)
    out.update(rt_A=faiss.vector_to_array(lsh.rrot.A).reshape(24, d), rt_thr=faiss.vector_to_array(lsh.thresholds),
               rt_codes=faiss.vector_to_array(lsh.codes).reshape(1000, 3), rt_D=D, rt_I=I,
               rt_rec=lsh.sa_decode(lsh.sa_encode(q)))
    save('lsh', {'d': d, 'k': 6}, out)


CASES = {'kmeans': case_kmeans, 'flat': case_flat, 'pq': case_pq, 'ivfpq': case_ivfpq, 'opq': case_opq,
         'lsh': case_lsh}

if __name__ == '__main__':
    import sys
    os.makedirs(OUT, exist_ok=True)
    for name in sys.argv[1:] or CASES:
        CASES[name]()

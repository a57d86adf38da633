#!/usr/bin/python3
"""faiss side of bench/suites/index.bench.ts (faiss 1.7.3 from Debian's python3-faiss, numpy).

Run by the suite with the system interpreter that sees faiss:  /usr/bin/python3 bench/faiss_side.py CMD JSON
CMD is one of: data, train, measure, kmeans. JSON holds the arguments. The result is printed as one JSON line
on stdout; progress goes to stderr. All files live in args["dir"] (.tmp/bench-index/, gitignored) and are raw
little-endian arrays, so that the TypeScript side reads exactly the same vectors:
  base-d{d}-s{seed}.f32              rows x d float32, Gaussian mixture, generated in chunks of CHUNK rows
                                     (chunk c from default_rng([seed, c])), so a longer file extends a shorter one
  base-d{d}-s{seed}.json             {rows, d, seed, chunk, version}
  queries-....f32 / -src.i64        nq perturbed base vectors (rows < n) and the base row each comes from
  ivfpq-....faissindex / .json      the trained, empty quantizer (reused while its parameters match)
  ivfpq-....centroids.f32 / .pq.f32 its coarse centroids (nlist x d) and PQ codebook (M x 256 x d/M)
  faiss-ids-....i64                 per-query search results (nq x k) of the measure command
Everything runs on one thread: the suite sets OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1 (OpenBLAS is the pthread
build) and faiss.omp_set_num_threads(1) is called below. Timings are wall clock (perf_counter) with the CPU time
of the same section (process_time) alongside, which stays meaningful on a loaded machine.
"""
import json
import os
import sys
import time

import faiss
import numpy as np

CHUNK = 100_000
DATA_VERSION = 1
NCOMPONENTS = 1000


def log(msg):
    print(f'[faiss_side] {msg}', file=sys.stderr, flush=True)


def rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def base_paths(a):
    stem = os.path.join(a['dir'], f"base-d{a['d']}-s{a['seed']}")
    return stem + '.f32', stem + '.json'


def mixture_centers(d, seed):
    rs = np.random.default_rng([seed, 1_000_000_001])
    centers = rs.standard_normal((NCOMPONENTS, d))
    # Components of different spreads, like real feature clusters of different tightness.
    scales = 0.35 + 0.3 * rs.random(NCOMPONENTS)
    return centers, scales


def read_rows(path, d, start, count):
    """rows [start, start + count) of a float32 file, into fresh (anonymous) memory."""
    return np.fromfile(path, dtype='<f4', count=count * d, offset=start * d * 4).reshape(count, d)


def cmd_data(a):
    """Makes sure the base file holds at least a['n'] rows and writes the query file for (n, nq)."""
    d, seed, n = a['d'], a['seed'], a['n']
    path, meta_path = base_paths(a)
    meta = None
    if os.path.exists(meta_path) and os.path.exists(path):
        with open(meta_path) as f:
            meta = json.load(f)
        ok = (
            meta.get('version') == DATA_VERSION
            and meta.get('d') == d
            and meta.get('seed') == seed
            and meta.get('chunk') == CHUNK
            and os.path.getsize(path) == meta['rows'] * d * 4
        )
        if not ok:
            log('base file does not match its parameters: regenerating')
            meta = None
    rows = meta['rows'] if meta else 0
    if rows < n:
        centers, scales = mixture_centers(d, seed)
        t0 = time.perf_counter()
        with open(path, 'r+b' if rows else 'wb') as f:
            f.seek(rows * d * 4)
            for c in range(rows // CHUNK, (n + CHUNK - 1) // CHUNK):
                rs = np.random.default_rng([seed, c])
                lab = rs.integers(0, NCOMPONENTS, CHUNK)
                x = centers[lab] + rs.standard_normal((CHUNK, d)) * scales[lab, None]
                f.write(x.astype('<f4').tobytes())
                rows = (c + 1) * CHUNK
                with open(meta_path, 'w') as m:
                    json.dump({'rows': rows, 'd': d, 'seed': seed, 'chunk': CHUNK, 'version': DATA_VERSION}, m)
        log(f'generated base rows up to {rows} in {time.perf_counter() - t0:.1f} s')
    # Queries: base rows drawn from [0, n), plus small Gaussian noise.
    nq = a['nq']
    if nq == 0:
        return {'base': path, 'rows': rows}
    qpath = os.path.join(a['dir'], f'queries-d{d}-s{seed}-n{n}-q{nq}.f32')
    spath = qpath[:-4] + '-src.i64'
    if not (os.path.exists(qpath) and os.path.getsize(qpath) == nq * d * 4 and os.path.exists(spath)):
        rs = np.random.default_rng([seed, 2_000_000_003, n, nq])
        src = np.sort(rs.choice(n, nq, replace=False)).astype('<i8')
        base = np.memmap(path, dtype='<f4', mode='r', shape=(rows, d))
        q = np.asarray(base[src], dtype=np.float64) + rs.standard_normal((nq, d)) * a['noise']
        del base
        q.astype('<f4').tofile(qpath)
        src.tofile(spath)
    return {'base': path, 'rows': rows, 'queries': qpath, 'querySources': spath}


def train_stem(a):
    return os.path.join(
        a['dir'], f"ivfpq-d{a['d']}-s{a['seed']}-nlist{a['nlist']}-M{a['M']}-t{a['ntrain']}-v{DATA_VERSION}"
    )


def cmd_train(a):
    """Trains IVF{nlist},PQ{M}x8np on the first ntrain base rows (or reuses the cached trained index)."""
    stem = train_stem(a)
    meta_path = stem + '.json'
    paths = {'index': stem + '.faissindex', 'centroids': stem + '.centroids.f32', 'pq': stem + '.pq.f32'}
    if os.path.exists(meta_path) and all(os.path.exists(p) for p in paths.values()):
        with open(meta_path) as f:
            meta = json.load(f)
        return {**paths, 'cached': True, 'trainSeconds': meta['trainSeconds'], 'factory': meta['factory']}
    faiss.omp_set_num_threads(1)
    d = a['d']
    base, _ = base_paths(a)
    xt = read_rows(base, d, 0, a['ntrain'])
    # "np": no polysemous training (it only permutes the PQ codebook and takes minutes).
    factory = f"IVF{a['nlist']},PQ{a['M']}x8np"
    index = faiss.index_factory(d, factory)
    t0 = time.perf_counter()
    index.train(xt)
    secs = time.perf_counter() - t0
    log(f'trained {factory} on {len(xt)} vectors in {secs:.1f} s')
    faiss.write_index(index, paths['index'])
    index.quantizer.reconstruct_n(0, a['nlist']).astype('<f4').tofile(paths['centroids'])
    faiss.vector_to_array(index.pq.centroids).astype('<f4').tofile(paths['pq'])
    with open(meta_path, 'w') as f:
        json.dump({'trainSeconds': secs, 'factory': factory, 'ntrain': a['ntrain']}, f)
    return {**paths, 'cached': False, 'trainSeconds': secs, 'factory': factory}


def cmd_measure(a):
    """Loads the trained index, adds the first n base rows (ids 0..n-1), measures memory and search latency."""
    faiss.omp_set_num_threads(1)
    d, n, k, nq = a['d'], a['n'], a['k'], a['nq']
    base, _ = base_paths(a)
    q = np.fromfile(a['queries'], dtype='<f4').reshape(nq, d)
    rss0 = rss_bytes()
    index = faiss.read_index(train_stem(a) + '.faissindex')
    precomputed = index.precomputed_table.size() * 4
    t_add = 0.0
    cpu_add = 0.0
    for s in range(0, n, CHUNK):
        x = read_rows(base, d, s, min(CHUNK, n - s))
        c0 = time.process_time()
        t0 = time.perf_counter()
        index.add(x)
        t_add += time.perf_counter() - t0
        cpu_add += time.process_time() - c0
        del x
    rss1 = rss_bytes()
    invlists = faiss.extract_index_ivf(index).invlists
    list_bytes = sum(invlists.list_size(i) for i in range(index.nlist)) * (index.code_size + 8)
    serialized = int(faiss.serialize_index(index).nbytes)
    out = {
        'faissVersion': faiss.__version__,
        'faissBuild': faiss.get_compile_options(),
        'addSeconds': t_add,
        'addCpuSeconds': cpu_add,
        'rssDeltaBytes': rss1 - rss0,
        'listBytes': list_bytes,
        'precomputedTableBytes': precomputed,
        'usePrecomputedTable': int(index.use_precomputed_table),
        'serializedBytes': serialized,
        'search': {},
    }
    warm = min(nq, a['warmup'])
    for nprobe in a['nprobes']:
        index.nprobe = nprobe
        for i in range(warm):
            index.search(q[i : i + 1], k)
        ids = np.empty((nq, k), dtype='<i8')
        lat = np.empty(nq)
        c0 = time.process_time()
        for i in range(nq):
            qi = q[i : i + 1]
            t0 = time.perf_counter()
            _, I = index.search(qi, k)
            lat[i] = time.perf_counter() - t0
            ids[i] = I[0]
        cpu = time.process_time() - c0
        path = os.path.join(a['dir'], f'faiss-ids-n{n}-np{nprobe}-k{k}.i64')
        ids.tofile(path)
        t0 = time.perf_counter()
        _, ib = index.search(q, k)
        batch = time.perf_counter() - t0
        out['search'][str(nprobe)] = {
            'latencyMs': [float(v) * 1e3 for v in lat],
            'cpuMsPerQuery': cpu * 1e3 / nq,
            'batchSeconds': batch,
            'batchSameAsSingle': float(np.mean(ib == ids)),
            'ids': path,
        }
        log(f'nprobe={nprobe}: mean {lat.mean() * 1e3:.3f} ms/query, batch {nq / batch:.0f} q/s')
    return out


def mse(x, centroids):
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(np.ascontiguousarray(centroids, dtype='float32'))
    D, _ = index.search(x, 1)
    return float(np.mean(D[:, 0].astype(np.float64)))


def cmd_kmeans(a):
    """faiss::Clustering (seed 1234, niter, no subsampling) on the first n base rows; MSE of both centroid sets."""
    faiss.omp_set_num_threads(1)
    d, n, k = a['d'], a['n'], a['k']
    base, _ = base_paths(a)
    x = read_rows(base, d, 0, n)
    cp = faiss.ClusteringParameters()
    cp.niter = a['niter']
    cp.seed = 1234
    cp.max_points_per_centroid = max(256, (n + k - 1) // k)
    clus = faiss.Clustering(d, k, cp)
    quantizer = faiss.IndexFlatL2(d)
    c0 = time.process_time()
    t0 = time.perf_counter()
    clus.train(x, quantizer)
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    cent = faiss.vector_to_array(clus.centroids).reshape(k, d)
    ours = np.fromfile(a['oursCentroids'], dtype='<f4').reshape(k, d)
    return {'seconds': secs, 'cpuSeconds': cpu, 'mseFaiss': mse(x, cent), 'mseOurs': mse(x, ours)}


COMMANDS = {'data': cmd_data, 'train': cmd_train, 'measure': cmd_measure, 'kmeans': cmd_kmeans}

if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in COMMANDS:
        sys.exit(f'usage: faiss_side.py {{{",".join(COMMANDS)}}} JSON')
    result = COMMANDS[sys.argv[1]](json.loads(sys.argv[2]))
    sys.stdout.write(json.dumps(result) + '\n')

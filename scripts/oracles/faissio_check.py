#!/usr/bin/python3
"""faiss side of the reverse round trip: Findable writes faiss index files, faiss must read and search them.

Usage: /usr/bin/python3 scripts/oracles/faissio_check.py REQUEST.json
REQUEST.json: {"cases": [{"name", "index": path of the .index file, "queries": base64 LE float32 (nq x d),
               "nq", "k"}]}
Prints one JSON object on stdout: {"faiss": version, "cases": [{"name", "class", "d", "ntotal", "is_trained",
"nprobe" (IVF only, else null), "ids": nq*k ints, "distances": nq*k floats, "saDecoded": base64 float32 of
sa_decode(sa_encode(queries))}]}. Exits with status 3 when faiss cannot be imported (tests then skip).
Used by src/core/faiss/faiss-python.test.ts; needs Debian's python3-faiss (1.7.3).
"""
import base64
import json
import os
import sys

os.environ.setdefault('OMP_NUM_THREADS', '1')

try:
    import faiss
    import numpy as np
except ImportError as e:  # pragma: no cover - environment problem, reported to the test
    print(json.dumps({'error': f'cannot import faiss: {e}'}))
    sys.exit(3)


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    out = []
    for case in request['cases']:
        index = faiss.read_index(case['index'])
        d = index.d
        xq = np.frombuffer(base64.b64decode(case['queries']), dtype='<f4').reshape(case['nq'], d).copy()
        dist, ids = index.search(xq, case['k'])
        try:
            ivf = faiss.extract_index_ivf(index)
            nprobe = int(ivf.nprobe)
        except RuntimeError:
            nprobe = None
        decoded = index.sa_decode(index.sa_encode(xq))
        out.append({
            'name': case['name'],
            'class': type(faiss.downcast_index(index)).__name__,
            'd': int(d),
            'ntotal': int(index.ntotal),
            'is_trained': bool(index.is_trained),
            'nprobe': nprobe,
            'ids': [int(v) for v in ids.ravel()],
            'distances': [float(v) for v in dist.ravel()],
            'saDecoded': base64.b64encode(np.ascontiguousarray(decoded, dtype='<f4').tobytes()).decode('ascii'),
        })
    print(json.dumps({'faiss': faiss.__version__, 'cases': out}))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""numpy oracle for src/core/linalg.ts.

Writes src/core/index/__fixtures__/linalg.json: small matrices with numpy's matmul, eigh, svd and cov,
with numpy's eigen/singular vectors brought to linalg.ts's sign convention (largest-|.| component of
each eigenvector / left singular vector positive, first index on ties) and eigenvalues sorted descending.

Run: python3 scripts/oracles/index_linalg.py   (numpy only; any python3 with numpy works)
"""
import json
import os

import numpy as np

rng = np.random.default_rng(12345)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'core', 'index', '__fixtures__', 'linalg.json')


def sign_rows(v):
    v = v.copy()
    for i in range(v.shape[0]):
        j = int(np.argmax(np.abs(v[i])))
        if v[i, j] < 0:
            v[i] = -v[i]
    return v


def flat(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


cases = {'matmul': [], 'eig': [], 'svd': [], 'cov': []}

for (m, k, n) in [(1, 1, 1), (3, 4, 2), (5, 7, 6), (16, 9, 11)]:
    a = rng.standard_normal((m, k))
    b = rng.standard_normal((k, n))
    cases['matmul'].append({'m': m, 'k': k, 'n': n, 'a': flat(a), 'b': flat(b), 'c': flat(a @ b)})

def eig_case(a, unique):
    w, v = np.linalg.eigh(a)
    order = np.argsort(-w, kind='stable')
    w = w[order]
    vt = sign_rows(v[:, order].T)
    return {'n': a.shape[0], 'a': flat(a), 'values': flat(w), 'vectors': flat(vt), 'unique': unique}

for n in [1, 2, 3, 6, 12, 40]:
    x = rng.standard_normal((n + 3, n))
    cases['eig'].append(eig_case(x.T @ x, True))
# indefinite symmetric
x = rng.standard_normal((7, 7))
cases['eig'].append(eig_case(x + x.T, True))
# repeated eigenvalues (vectors not unique: compare reconstruction only)
q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
cases['eig'].append(eig_case(q @ np.diag([3.0, 3.0, 1.0, 0.0, 0.0]) @ q.T, False))
# diagonal / already tridiagonal
cases['eig'].append(eig_case(np.diag([1.0, 5.0, 2.0, 4.0]), True))

def svd_case(a, unique):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    ut = u.T.copy()
    for i in range(ut.shape[0]):
        j = int(np.argmax(np.abs(ut[i])))
        if ut[i, j] < 0:
            ut[i] = -ut[i]
            vt[i] = -vt[i]
    return {'m': a.shape[0], 'n': a.shape[1], 'a': flat(a), 'u': flat(ut.T), 's': flat(s), 'vt': flat(vt),
            'unique': unique}

for (m, n) in [(1, 1), (3, 3), (5, 3), (3, 5), (8, 8), (20, 13), (13, 20), (32, 32)]:
    cases['svd'].append(svd_case(rng.standard_normal((m, n)), True))
# rank deficient 6 x 4 (rank 2)
cases['svd'].append(svd_case(rng.standard_normal((6, 2)) @ rng.standard_normal((2, 4)), False))

for (n, d) in [(10, 3), (50, 8)]:
    x = rng.standard_normal((n, d)) * np.arange(1, d + 1) + 2.0
    cases['cov'].append({'n': n, 'd': d, 'x': flat(x), 'mean': flat(x.mean(0)), 'cov': flat(np.cov(x.T, bias=True)),
                         'cov1': flat(np.cov(x.T))})

with open(OUT, 'w') as f:
    json.dump(cases, f)
print('wrote', OUT, os.path.getsize(OUT), 'bytes')

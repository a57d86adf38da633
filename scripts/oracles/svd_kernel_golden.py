#!/usr/bin/env python3
"""numpy oracle for linalg.ts svd on matrices large enough (n >= 32) to run in the f64 SIMD kernels.

The matrices are formulas of (i, j), computed identically in linalg.test.ts, so only numpy's singular
values and the polar factor U V^T (unique for a full-rank matrix, sign-free; applied to two probe
vectors) are stored.
Writes src/core/index/__fixtures__/svd-large.json.

Run: python3 scripts/oracles/svd_kernel_golden.py   (numpy only)
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'core', 'index', '__fixtures__', 'svd-large.json')


def matrix(m, n):
    i = np.arange(m, dtype=np.float64)[:, None]
    j = np.arange(n, dtype=np.float64)[None, :]
    return np.sin(1.3 * i + 0.7 * j + 0.01 * i * j) + 0.5 * np.cos(0.37 * i * i - 0.11 * j) + (i == j) * 0.25


cases = []
for m, n in [(64, 48), (40, 70), (96, 96)]:
    a = matrix(m, n)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    case = {'m': m, 'n': n, 's': [float(x) for x in s]}
    if m == n:
        # The polar factor through two probe vectors w_j = cos(0.5 j), sin(0.3 j) (keeps the file small).
        jj = np.arange(n, dtype=np.float64)
        case['polar_w'] = [float(x) for x in ((u @ vt) @ np.stack([np.cos(0.5 * jj), np.sin(0.3 * jj)], 1)).ravel()]
    cases.append(case)

with open(OUT, 'w') as f:
    json.dump({'cases': cases}, f)
print(f'wrote {OUT}')

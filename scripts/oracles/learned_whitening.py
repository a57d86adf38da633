"""Golden learned-whitening head for scripts/models/head-fit.test.ts, computed with numpy (LAPACK eigh).

Run (from the repository root): /usr/bin/python3 scripts/oracles/learned_whitening.py
Writes scripts/models/__fixtures__/learned-whitening.json: small seeded data (fit set x, pairs a/b), the
settings, and the expected head (proj, bias) and SNR spectrum, following Radenović et al. (TPAMI 2018, 4.2):
  rows L2-normalised; C_S = mean (a-b)(a-b)^T + reg tr(C_S)/d I; P_w = C_S^(-1/2);
  C_D = cov(P_w (x - mean)) (population); proj = P_w V_D[:, :out]; bias = -mean @ proj.
Eigenvectors are defined up to sign: the test compares columns up to sign.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'scripts', 'models', '__fixtures__', 'learned-whitening.json')

rng = np.random.default_rng(20261123)
n, pairs, d, out, reg = 60, 90, 10, 6, 0.05
# Images: a decaying spectrum plus an offset; copies: the image plus edit noise confined mostly to 3 directions.
x = rng.normal(size=(n, d)) * (0.7 ** np.arange(d)) + 0.3
src = rng.normal(size=(pairs, d)) * (0.7 ** np.arange(d)) + 0.3
edit_dirs = rng.normal(size=(3, d))
a = src + 0.02 * rng.normal(size=(pairs, d))
b = src + rng.normal(size=(pairs, 3)) @ edit_dirs * 0.3 + 0.02 * rng.normal(size=(pairs, d))
x, a, b = (m.astype(np.float32) for m in (x, a, b))


def l2(m):
    m = m.astype(np.float64)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-6)


xs, as_, bs = l2(x), l2(a), l2(b)
diff = as_ - bs
cs = diff.T @ diff / pairs
cs += reg * np.trace(cs) / d * np.eye(d)
e, v = np.linalg.eigh(cs)
pw = (v / np.sqrt(e)) @ v.T
mean = xs.mean(0)
z = (xs - mean) @ pw
cd = z.T @ z / n
e2, v2 = np.linalg.eigh(cd)
order = np.argsort(-e2)
proj = pw @ v2[:, order[:out]]
bias = -mean @ proj
with open(OUT, 'w') as f:
    json.dump(
        {
            'n': n, 'pairs': pairs, 'd': d, 'outDim': out, 'reg': reg, 'preL2': True,
            'x': x.ravel().tolist(), 'a': a.ravel().tolist(), 'b': b.ravel().tolist(),
            'proj': proj.ravel().tolist(), 'bias': bias.tolist(), 'snr': e2[order[:out]].tolist(),
        },
        f,
    )
print('wrote', OUT)

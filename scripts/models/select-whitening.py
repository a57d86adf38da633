"""Whitening selection, step 2: which descriptor head makes copies easiest to find THROUGH THE INDEX.

Run by hand after scripts/models/dump-pooled.ts (pairs, tiles, db), from the repository root:
    /usr/bin/python3 scripts/models/select-whitening.py
Needs Debian's python3-numpy and python3-faiss. Prints one line per head (numbers quoted in docs/models.md).

For each head (fitted on d000 + the identity tiles, never on d001-d008), with faiss:
  database = distractors d001-d008 + the identity tiles of all corpus photos (2 x 2 tiles, 512 px);
  index    = IVF32,PQ8x8 trained on the database (the evaluation's index family and size), nprobe 1;
  queries  = every tile under each of the 14 evaluation transformations;
  R@1      = the first result is a tile of the query's photo (photos are the unit of distinctness).
Also printed: cosine between a tile's feature and its PQ reconstruction (how much the 8-byte code keeps) and a
crude activation proxy (the query moved by 0.6 of (reconstruction - feature), as if the activation's pull
carried over to the copy unchanged); the real activated numbers come from `findable eval` (docs/results.md).
Heads: PCA to 512 with whitening power w (v1 used w = 1, PCA fitted on d000 + all tiles) and learned
whitening (head-fit.ts fitLearnedWhitening) with ridge reg on the within-pair covariance.
"""
import json
import os

import faiss
import numpy as np

D = os.path.join('.cache', 'models', 'whitening')
DIM = 1792
OUT = 512


def load(name):
    meta = json.load(open(os.path.join(D, name + '.json')))
    x = np.fromfile(os.path.join(D, name + '.f32'), dtype=np.float32).reshape(meta['n'], DIM).astype(np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6), meta


def nrm(z):
    return z / np.maximum(np.linalg.norm(z, axis=-1, keepdims=True), 1e-6)


pairs, pm = load('pairs')
tiles, tm = load('tiles')
db, _ = load('db')
K = pm['meta']['K']
T = tm['meta']['transforms']
orig = pairs[0::K + 1]
aug = np.stack([pairs[k::K + 1] for k in range(1, K + 1)], 1)
tiles = tiles.reshape(-1, len(T), DIM)
photo = np.array([t['photo'] for t in tm['meta']['tiles']])
ident = tiles[:, T.index('identity')]
fitset = np.concatenate([orig, ident])


def pca_head(w):
    m = fitset.mean(0)
    c = (fitset - m).T @ (fitset - m) / len(fitset)
    e, v = np.linalg.eigh(c)
    o = np.argsort(-e)[:OUT]
    p = v[:, o] * np.maximum(e[o], e[o[0]] * 1e-6) ** (-w / 2)
    return lambda x: nrm((x - m) @ p)


def lw_head(reg):
    m = fitset.mean(0)
    dif = (aug - orig[:, None, :]).reshape(-1, DIM)
    cs = dif.T @ dif / len(dif)
    cs += reg * np.trace(cs) / DIM * np.eye(DIM)
    e, v = np.linalg.eigh(cs)
    pw = (v / np.sqrt(e)) @ v.T
    z = (fitset - m) @ pw
    e2, v2 = np.linalg.eigh(z.T @ z / len(z))
    p = pw @ v2[:, np.argsort(-e2)[:OUT]]
    return lambda x: nrm((x - m) @ p)


def evaluate(name, h, beta=0.6):
    faiss.seed_global_rng = 0
    base = np.concatenate([h(db), h(ident)]).astype(np.float32)
    nd = len(db)
    idx = faiss.index_factory(OUT, 'IVF32,PQ8x8')
    idx.cp.seed = 0
    idx.train(base)
    idx.add(base)
    idx.nprobe = 1
    idx.make_direct_map()
    ref = base[nd:]
    rec = np.stack([idx.reconstruct(nd + i) for i in range(len(ref))])
    cosrec = (nrm(rec) * ref).sum(1).mean()
    passive, proxy = [], []
    for ti in range(len(T)):
        q = h(tiles[:, ti]).astype(np.float32)
        for out, qq in ((passive, q), (proxy, nrm(q + beta * (rec - ref)).astype(np.float32))):
            _, ids = idx.search(qq, 1)
            out.append(np.mean([ids[i, 0] >= nd and photo[ids[i, 0] - nd] == photo[i] for i in range(len(q))]))
    print(f'{name:14s} cos(x, q(x)) {cosrec:.2f}  R@1 passive {np.mean(passive):.3f}  activation proxy {np.mean(proxy):.3f}  '
          + ' '.join(f'{t}:{p:.2f}' for t, p in zip(T, passive)), flush=True)


for w in (1.0, 0.5, 0.0):
    evaluate(f'pca w={w}', pca_head(w))
for reg in (0.01, 0.1, 0.3, 1.0):
    evaluate(f'learned r={reg}', lw_head(reg))

/**
 * Head selection experiment (run by hand: `npx tsx scripts/models/select-head.ts`; `npm run models` does not
 * run it). Measures copy-detection top-1 for each descriptor-head candidate on a photo-level 2-fold split and
 * writes scripts/models/head-selection.json (the numbers quoted in docs/models.md).
 *
 * Protocol, per fold (photos sorted by name; fold k = photos with index % 2 === k are held out):
 *   PCA fit set: distractors d000 (1000) + the 5 original tiles of every training photo.
 *   Database:    distractors d001 + d002 (2000) + the 5 original tiles of every held-out photo.
 *   Queries:     each held-out tile under jpeg50, crop50, contrast2, blur, resize50.
 *   top-1 (photo): the nearest database entry is a tile of the query's photo (photos are the unit of
 *   distinctness); top-1 (tile): it is exactly the query's source tile.
 * Features are cached in .cache/models/ (backbone pass once, both poolings).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../../src/core/image/types.ts';
import { FEATURE_DIM } from './convert-mobilenet.ts';
import { FeatureExtractor, type PooledFeatures } from './features.ts';
import { applyHead, fitPca, headFromPca, l2Rows, OUT_DIM, scaleRowsL2, whitenScales } from './head-fit.ts';
import { applyTransform, decodeRgb, listJpegs, photoTiles, TILES_PER_PHOTO, TRANSFORMS } from './images.ts';
import { readNsfwjsModel } from './nsfwjs-reader.ts';

// ../shared/corpus next to the repository, as in scripts/build-models.ts.
const CORPUS =
  process.env.FINDABLE_CORPUS ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');
const CACHE = '.cache/models';
const OUT = 'scripts/models/head-selection.json';
const VARIANTS = 1 + TRANSFORMS.length; // original + transforms
const WHITEN = [0, 0.25, 0.5, 0.75, 1];

function log(msg: string): void {
  process.stderr.write(`[select-head] ${msg}\n`);
}

async function cached(
  key: string,
  count: number,
  extractor: () => Promise<FeatureExtractor>,
  get: (i: number) => Promise<RgbImage>,
): Promise<PooledFeatures> {
  mkdirSync(CACHE, { recursive: true });
  const base = join(CACHE, key);
  if (existsSync(`${base}.avg.f32`) && existsSync(`${base}.gem.f32`)) {
    const rd = (p: string) => {
      const b = readFileSync(p);
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    };
    const avg = rd(`${base}.avg.f32`);
    if (avg.length === count * FEATURE_DIM) return { n: count, avg, gem: rd(`${base}.gem.f32`) };
  }
  const t0 = Date.now();
  const fx = await extractor();
  const f = await fx.extract(count, get, (done) => {
    if (done % 160 === 0 || done === count)
      log(`${key}: ${done}/${count} (${((Date.now() - t0) / done).toFixed(0)} ms/img)`);
  });
  writeFileSync(`${base}.avg.f32`, f.avg);
  writeFileSync(`${base}.gem.f32`, f.gem);
  return f;
}

function rows(x: Float32Array, idx: number[], d: number): Float32Array {
  const out = new Float32Array(idx.length * d);
  idx.forEach((r, i) => {
    out.set(x.subarray(r * d, (r + 1) * d), i * d);
  });
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Index of the max inner product row of db (m x d) for each query row (q x d). */
function top1(db: Float32Array, m: number, queries: Float32Array, q: number, d: number): Int32Array {
  const out = new Int32Array(q);
  for (let i = 0; i < q; i++) {
    let best = -1;
    let bestS = Number.NEGATIVE_INFINITY;
    const qo = i * d;
    for (let j = 0; j < m; j++) {
      let s = 0;
      const jo = j * d;
      for (let k = 0; k < d; k++) s += queries[qo + k] * db[jo + k];
      if (s > bestS) {
        bestS = s;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

interface ConfigResult {
  config: string;
  pooling: 'avg' | 'gem';
  pca: boolean;
  preL2: boolean;
  whiten: number | null;
  dim: number;
  /** photo-level top-1 per transform, both folds pooled */
  top1Photo: Record<string, number>;
  top1Tile: Record<string, number>;
  meanPhoto: number;
  meanTile: number;
}

async function main(): Promise<void> {
  const model = readNsfwjsModel();
  let fx: FeatureExtractor | undefined;
  const extractor = async () => {
    fx ??= await FeatureExtractor.create(model);
    return fx;
  };
  const photos = listJpegs(join(CORPUS, 'photos'));
  const fitFiles = listJpegs(join(CORPUS, 'distractors/d000'));
  const dbFiles = [...listJpegs(join(CORPUS, 'distractors/d001')), ...listJpegs(join(CORPUS, 'distractors/d002'))];
  const tag = createHash('sha256')
    .update(JSON.stringify([model.files, photos.map((p) => basename(p)), TRANSFORMS, 'v1']))
    .digest('hex')
    .slice(0, 12);

  // Photo tiles and their transformed copies: row = (photo * TILES + tile) * VARIANTS + variant.
  let memo: { photo: number; images: RgbImage[] } | undefined;
  const photoVariant = async (i: number): Promise<RgbImage> => {
    const p = Math.floor(i / (TILES_PER_PHOTO * VARIANTS));
    if (memo?.photo !== p) {
      const tiles = await photoTiles(await decodeRgb(photos[p]));
      const images: RgbImage[] = [];
      for (const t of tiles) {
        images.push(t);
        for (const tr of TRANSFORMS) images.push(await applyTransform(t, tr));
      }
      memo = { photo: p, images };
    }
    return memo.images[i % (TILES_PER_PHOTO * VARIANTS)];
  };
  const nPhotoRows = photos.length * TILES_PER_PHOTO * VARIANTS;
  const photoF = await cached(`photos-${tag}`, nPhotoRows, extractor, photoVariant);
  const fitF = await cached(`fit-d000-${tag}`, fitFiles.length, extractor, (i) => decodeRgb(fitFiles[i]));
  const dbF = await cached(`db-d001-d002-${tag}`, dbFiles.length, extractor, (i) => decodeRgb(dbFiles[i]));
  await fx?.release();

  const D = FEATURE_DIM;
  const row = (p: number, t: number, v: number) => (p * TILES_PER_PHOTO + t) * VARIANTS + v;
  // Tallies: [config][transform] -> correct counts
  const results = new Map<string, ConfigResult & { cp: number[]; ct: number[] }>();
  let totalQueriesPerTransform = 0;

  for (let fold = 0; fold < 2; fold++) {
    const test = photos.map((_, i) => i).filter((i) => i % 2 === fold);
    const train = photos.map((_, i) => i).filter((i) => i % 2 !== fold);
    totalQueriesPerTransform += test.length * TILES_PER_PHOTO;
    const trainRows: number[] = [];
    for (const p of train) for (let t = 0; t < TILES_PER_PHOTO; t++) trainRows.push(row(p, t, 0));
    const dbRows: number[] = [];
    const dbLabel: number[] = Array(dbFiles.length).fill(-1);
    const dbTile: number[] = Array(dbFiles.length).fill(-1);
    for (const p of test)
      for (let t = 0; t < TILES_PER_PHOTO; t++) {
        dbRows.push(row(p, t, 0));
        dbLabel.push(p);
        dbTile.push(p * TILES_PER_PHOTO + t);
      }
    const qRows: number[][] = TRANSFORMS.map(() => []);
    const qLabel: number[] = [];
    const qTile: number[] = [];
    for (const p of test)
      for (let t = 0; t < TILES_PER_PHOTO; t++) {
        qLabel.push(p);
        qTile.push(p * TILES_PER_PHOTO + t);
        TRANSFORMS.forEach((_, k) => {
          qRows[k].push(row(p, t, k + 1));
        });
      }
    const nq = qLabel.length;
    const nDb = dbLabel.length;

    for (const pooling of ['avg', 'gem'] as const) {
      const src = pooling === 'avg' ? photoF.avg : photoF.gem;
      const fitX = concat(pooling === 'avg' ? fitF.avg : fitF.gem, rows(src, trainRows, D));
      const dbX = concat(pooling === 'avg' ? dbF.avg : dbF.gem, rows(src, dbRows, D));
      const qX = qRows.map((r) => rows(src, r, D));
      const nFit = fitX.length / D;

      const score = (
        key: string,
        meta: Omit<ConfigResult, 'top1Photo' | 'top1Tile' | 'meanPhoto' | 'meanTile' | 'config'>,
        embed: (x: Float32Array, n: number) => Float32Array,
        dim: number,
      ) => {
        const db = embed(dbX, nDb);
        let r = results.get(key);
        if (!r) {
          r = {
            config: key,
            ...meta,
            top1Photo: {},
            top1Tile: {},
            meanPhoto: 0,
            meanTile: 0,
            cp: TRANSFORMS.map(() => 0),
            ct: TRANSFORMS.map(() => 0),
          };
          results.set(key, r);
        }
        TRANSFORMS.forEach((_, k) => {
          const q = embed(qX[k], nq);
          const nn = top1(db, nDb, q, nq, dim);
          for (let i = 0; i < nq; i++) {
            if (dbLabel[nn[i]] === qLabel[i]) r.cp[k]++;
            if (dbTile[nn[i]] === qTile[i]) r.ct[k]++;
          }
        });
      };

      score(
        `${pooling} raw-L2 (1792-d)`,
        { pooling, pca: false, preL2: true, whiten: null, dim: D },
        (x, n) => l2Rows(x, n, D),
        D,
      );
      for (const preL2 of [true, false]) {
        const t0 = Date.now();
        const fit = fitPca(fitX, nFit, D, preL2, OUT_DIM);
        log(`fold ${fold} ${pooling} preL2=${preL2}: PCA on ${nFit} rows in ${Date.now() - t0} ms`);
        // Project once without whitening; each whitening power is then a per-component scale + L2.
        const head0 = headFromPca(fit, 0, OUT_DIM);
        const zDb = applyHead(head0, dbX, nDb, false);
        const zQ = qX.map((q) => applyHead(head0, q, nq, false));
        for (const w of WHITEN) {
          const scales = whitenScales(fit, w, OUT_DIM);
          const key = `${pooling} ${preL2 ? 'L2 ' : ''}PCA${OUT_DIM} whiten=${w}`;
          score(
            key,
            { pooling, pca: true, preL2, whiten: w, dim: OUT_DIM },
            (x, n) => scaleRowsL2(x === dbX ? zDb : zQ[qX.indexOf(x)], n, OUT_DIM, scales),
            OUT_DIM,
          );
        }
      }
      log(`fold ${fold} ${pooling} done`);
    }
  }

  const out: ConfigResult[] = [];
  for (const r of results.values()) {
    const { cp, ct, ...rest } = r;
    TRANSFORMS.forEach((t, k) => {
      rest.top1Photo[t] = cp[k] / totalQueriesPerTransform;
      rest.top1Tile[t] = ct[k] / totalQueriesPerTransform;
    });
    rest.meanPhoto = cp.reduce((a, b) => a + b, 0) / (TRANSFORMS.length * totalQueriesPerTransform);
    rest.meanTile = ct.reduce((a, b) => a + b, 0) / (TRANSFORMS.length * totalQueriesPerTransform);
    out.push(rest);
  }
  const best = out
    .filter((r) => r.pca && r.dim === OUT_DIM)
    .reduce((a, b) => (b.meanPhoto > a.meanPhoto || (b.meanPhoto === a.meanPhoto && b.meanTile > a.meanTile) ? b : a));
  const report = {
    protocol: {
      folds: 2,
      photos: photos.length,
      tilesPerPhoto: TILES_PER_PHOTO,
      queriesPerTransform: totalQueriesPerTransform,
      transforms: TRANSFORMS,
      fitSet: 'distractors/d000 (1000) + original tiles of the training photos',
      database: 'distractors/d001 + d002 (2000) + original tiles of the held-out photos',
    },
    best: best.config,
    results: out,
  };
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  const pct = (v: number) => (100 * v).toFixed(1);
  console.log(`| head | ${TRANSFORMS.join(' | ')} | mean (photo) | mean (tile) |`);
  console.log(`|---|${TRANSFORMS.map(() => '---|').join('')}---|---|`);
  for (const r of out) {
    console.log(
      `| ${r.config} | ${TRANSFORMS.map((t) => pct(r.top1Photo[t])).join(' | ')} | ${pct(r.meanPhoto)} | ${pct(r.meanTile)} |`,
    );
  }
  console.log(`best: ${best.config}`);
}

await main();

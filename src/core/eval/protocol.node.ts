/**
 * The paper's evaluation protocol (method.md section 5) on a local corpus, Node-only.
 *
 *  1. Photos of --refs are split BY PHOTO (seeded) into index-training and evaluation photos (or --train
 *     gives the training images). Each photo is cut into a 2 x 2 grid of tiles, long side `tileSide`.
 *  2. The index is trained on the features of the distractors and the training tiles.
 *  3. Database = distractors + evaluation tiles, with their ORIGINAL features.
 *  4. Each evaluation tile is activated against the trained index.
 *  5. Queries: every transformation of every evaluation tile, passive (unmodified) and activated; plus
 *     non-matching queries (transformed training tiles, not in the database) for muAP.
 *  6. R@1 per transformation, muAP, image quality, timings.
 *  7. Diagnostics (not part of the report's documented format): per transformation, the R@1 an exhaustive
 *     exact search (IndexFlat) over the same database gets, and for IVF indexes the share of queries whose
 *     probed list is their reference's own: together they say whether recall is lost to the index (what
 *     activation can win back) or to the extractor (what it cannot).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { activatePhoto } from '../activation/engine.ts';
import { extractFeatures } from '../activation/extract.ts';
import type { ActivationRuntime } from '../activation/runtime.ts';
import type { ActivationSettings } from '../activation/settings.ts';
import { FindableError, throwIfAborted } from '../errors.ts';
import { gridTiles } from '../image/crop.ts';
import { decodeImage } from '../image/decode.node.ts';
import { resizeRgb } from '../image/resize.ts';
import type { RgbImage } from '../image/types.ts';
import { indexFactory } from '../index/factory.ts';
import { IndexFlat } from '../index/index-flat.ts';
import { IndexIVF } from '../index/index-ivf.ts';
import { IndexIVFFlat } from '../index/index-ivf-flat.ts';
import { baseIndex } from '../index/index-pretransform.ts';
import { Mt19937 } from '../index/rng.ts';
import type { VectorIndex } from '../index/types.ts';
import type { FeatureCache } from './feature-cache.node.ts';
import { meanStd, microAveragePrecision, type Prediction, recallAt1 } from './metrics.ts';
import { applyTransform, TRANSFORM_NAMES, type TransformName } from './transforms.node.ts';

export interface EvalOptions {
  refsDir: string;
  /** One or more folders of non-matching images (searched recursively). */
  distractorsDir: string | string[];
  trainDir?: string;
  factory: string;
  nprobe: number;
  seed: number;
  settings: Partial<ActivationSettings>;
  /** Share of --refs photos used for index training when --train is not given. */
  trainFraction?: number;
  /** Long side of each tile (the 2 x 2 grid is cut from the photo scaled to twice this). */
  tileSide?: number;
  maxDistractors?: number;
  maxPhotos?: number;
  /** IVF-Flat only: share of the way from x_o to its centroid the target goes (1 = the paper's centroid). */
  ivfFlatTargetPull?: number;
  transforms?: readonly TransformName[];
  cache?: FeatureCache;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

export interface EvalReport {
  factory: string;
  nprobe: number;
  n_database: number;
  n_activated: number;
  transforms: { name: TransformName; passive_r1: number; active_r1: number }[];
  avg: { passive_r1: number; active_r1: number };
  muap: { passive: number; active: number };
  quality: { psnr_mean: number; psnr_std: number; ssim_mean: number; linf_mean: number };
  timing: { activate_ms_per_image: number; extract_ms_per_image: number };
}

const JPEG = new Set(['.jpg', '.jpeg', '.png', '.webp']);

function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (JPEG.has(extname(name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Seeded Fisher-Yates: the same seed gives the same split on every machine. */
function shuffled<T>(items: T[], seed: number): T[] {
  const a = [...items];
  const rng = new Mt19937(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.randInt(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export interface EvalDiagnostics {
  transforms: {
    name: TransformName;
    /** R@1 of an exhaustive exact search over the same database (original features). */
    exact_passive_r1: number;
    exact_active_r1: number;
    /** IVF indexes: share of queries whose nearest list is their reference's list (null for other indexes). */
    list_hit_passive: number | null;
    list_hit_active: number | null;
    /**
     * Share of the activation's feature change that survives the transformation: mean over references of
     * (f(T(activated)) - f(T(original))) . (x_a - x_o) / |x_a - x_o|^2, x_a = f(activated), x_o = f(original).
     * 1 for the identity; near 0 when the edit wipes the change out.
     */
    transfer: number;
  }[];
  avg: {
    exact_passive_r1: number;
    exact_active_r1: number;
    list_hit_passive: number | null;
    list_hit_active: number | null;
    transfer: number;
  };
}

export interface EvalRun {
  report: EvalReport;
  diagnostics: EvalDiagnostics;
}

export interface Tile {
  photo: string;
  index: number;
  image: RgbImage;
}

/** The 2 x 2 grid of tiles of a photo scaled so that each tile's long side is `tileSide`. */
export async function photoTiles(file: string, tileSide: number): Promise<Tile[]> {
  const photo = await decodeImage(new Uint8Array(readFileSync(file)));
  const scale = Math.min(1, (2 * tileSide) / Math.max(photo.width, photo.height));
  const w = Math.round(photo.width * scale);
  const h = Math.round(photo.height * scale);
  const small = scale < 1 ? resizeRgb(photo, w, h) : photo;
  return gridTiles(small, 2).map((image, index) => ({ photo: basename(file), index, image }));
}

async function fileFeatures(
  rt: ActivationRuntime,
  files: string[],
  cache: FeatureCache | undefined,
  log: (m: string) => void,
  signal?: AbortSignal,
) {
  const out = new Float32Array(files.length * rt.dim);
  const todo: number[] = [];
  files.forEach((f, i) => {
    const hit = cache?.get(cache.key(f));
    if (hit) out.set(hit, i * rt.dim);
    else todo.push(i);
  });
  log(`features: ${files.length - todo.length} cached, ${todo.length} to extract`);
  const chunk = 64;
  for (let s = 0; s < todo.length; s += chunk) {
    throwIfAborted(signal);
    const ids = todo.slice(s, s + chunk);
    const images = await Promise.all(ids.map(async (i) => decodeImage(new Uint8Array(readFileSync(files[i])))));
    const feats = await extractFeatures(rt, images, { signal });
    ids.forEach((i, k) => {
      const f = feats.subarray(k * rt.dim, (k + 1) * rt.dim);
      out.set(f, i * rt.dim);
      cache?.set(cache.key(files[i]), f.slice());
    });
    if ((s / chunk) % 10 === 0) log(`features: ${Math.min(s + chunk, todo.length)}/${todo.length}`);
  }
  cache?.save();
  return out;
}

function countTrue(n: number, ok: (i: number) => boolean): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (ok(i)) c++;
  return c;
}

function top1(index: VectorIndex, queries: Float32Array, n: number, nprobe: number) {
  return index.search(queries, n, 1, { nprobe });
}

export async function runEvaluation(rt: ActivationRuntime, options: EvalOptions): Promise<EvalRun> {
  const log = options.log ?? (() => {});
  const { signal } = options;
  const tileSide = options.tileSide ?? 512;
  const transforms = options.transforms ?? TRANSFORM_NAMES;

  // 1. Split by photo, cut tiles.
  let photos = listImages(options.refsDir);
  if (options.maxPhotos) photos = photos.slice(0, options.maxPhotos);
  if (photos.length === 0) throw new FindableError('IO', `No photos in ${options.refsDir}.`);
  let trainPhotos: string[];
  let evalPhotos: string[];
  if (options.trainDir) {
    trainPhotos = listImages(options.trainDir);
    evalPhotos = photos;
  } else {
    const order = shuffled(photos, options.seed);
    const nTrain = Math.round(order.length * (options.trainFraction ?? 1 / 3));
    trainPhotos = order.slice(0, nTrain).sort();
    evalPhotos = order.slice(nTrain).sort();
  }
  const refTiles = (await Promise.all(evalPhotos.map((p) => photoTiles(p, tileSide)))).flat();
  const trainTiles = (await Promise.all(trainPhotos.map((p) => photoTiles(p, tileSide)))).flat();
  log(
    `${evalPhotos.length} evaluation photos (${refTiles.length} tiles), ${trainPhotos.length} training photos (${trainTiles.length} tiles)`,
  );

  // 2. Features: distractors (cached), tiles.
  let distractors = (Array.isArray(options.distractorsDir) ? options.distractorsDir : [options.distractorsDir]).flatMap(
    listImages,
  );
  if (options.maxDistractors) distractors = distractors.slice(0, options.maxDistractors);
  const distractorFeatures = await fileFeatures(rt, distractors, options.cache, log, signal);
  const refFeatures = await extractFeatures(
    rt,
    refTiles.map((t) => t.image),
    { signal },
  );
  const trainTileFeatures = await extractFeatures(
    rt,
    trainTiles.map((t) => t.image),
    { signal },
  );
  const nd = distractors.length;
  const nr = refTiles.length;
  const d = rt.dim;

  // 3. Train the index on distractors + training tiles; the database holds ORIGINAL features.
  const index = indexFactory(d, options.factory);
  if (options.ivfFlatTargetPull !== undefined) {
    const base = baseIndex(index);
    if (!(base instanceof IndexIVFFlat)) {
      throw new FindableError(
        'INVALID_ARGUMENT',
        `--ivf-flat-pull needs an IVF<n>,Flat index, not "${options.factory}".`,
      );
    }
    base.targetPull = options.ivfFlatTargetPull;
  }
  const train = new Float32Array((nd + trainTiles.length) * d);
  train.set(distractorFeatures, 0);
  train.set(trainTileFeatures, nd * d);
  log(`training ${options.factory} on ${nd + trainTiles.length} vectors`);
  index.train(train, nd + trainTiles.length, { signal, onWarning: (m) => log(`index: ${m}`) });
  index.add(
    distractorFeatures,
    nd,
    Float64Array.from({ length: nd }, (_, i) => i),
  );
  index.add(
    refFeatures,
    nr,
    Float64Array.from({ length: nr }, (_, i) => nd + i),
  );
  // Diagnostics: the same database searched exactly, and the references' own lists.
  const exact = new IndexFlat(d);
  exact.add(distractorFeatures, nd);
  exact.add(refFeatures, nr);
  const ivf = index instanceof IndexIVF ? index : null;
  const refLists = ivf?.assignLists(refFeatures, nr);

  // 4. Activate every reference tile against this index.
  const activated: RgbImage[] = [];
  const psnrs: number[] = [];
  const ssims: number[] = [];
  const linfs: number[] = [];
  const activateMs: number[] = [];
  for (let r = 0; r < nr; r++) {
    throwIfAborted(signal);
    const t0 = performance.now();
    const res = await activatePhoto(rt, refTiles[r].image, index, options.settings, { signal });
    activateMs.push(performance.now() - t0);
    activated.push(res.image);
    psnrs.push(res.psnr);
    ssims.push(res.ssim ?? Number.NaN);
    linfs.push(res.linf);
    if (r % 20 === 0) log(`activated ${r + 1}/${nr} (PSNR ${res.psnr.toFixed(1)} dB, ${activateMs[r].toFixed(0)} ms)`);
  }

  // 5. Queries under each transformation. A query is right when its first result is a reference tile of
  // its own photo: photos are the unit of distinctness (corpus README), so a sibling tile of the same photo
  // is a copy of the same source, not a false match. Exact-tile hits are counted too, for the log.
  const samePhoto = (id: number, query: number) => id >= nd && refTiles[id - nd].photo === refTiles[query].photo;
  const tileExact = { passive: 0, active: 0 };
  const rows: EvalReport['transforms'] = [];
  const diagRows: EvalDiagnostics['transforms'] = [];
  const activatedFeatures = await extractFeatures(rt, activated, { signal });
  const share = (ok: (i: number) => boolean) => countTrue(nr, ok) / nr;
  const listHit = (features: Float32Array) => {
    if (!ivf || !refLists) return null;
    const lists = ivf.assignLists(features, nr);
    return share((i) => lists[i] === refLists[i]);
  };
  const passivePreds: Prediction[] = [];
  const activePreds: Prediction[] = [];
  let extractCount = 0;
  let extractMs = 0;
  for (const name of transforms) {
    throwIfAborted(signal);
    const seedOf = (i: number) => options.seed * 100_003 + i;
    const passiveImgs = await Promise.all(refTiles.map((t, i) => applyTransform(name, t.image, seedOf(i))));
    const activeImgs = await Promise.all(activated.map((img, i) => applyTransform(name, img, seedOf(i))));
    const negativeImgs = await Promise.all(trainTiles.map((t, i) => applyTransform(name, t.image, seedOf(nr + i))));
    const t0 = performance.now();
    const fp = await extractFeatures(rt, passiveImgs, { signal });
    const fa = await extractFeatures(rt, activeImgs, { signal });
    const fn = await extractFeatures(rt, negativeImgs, { signal });
    extractMs += performance.now() - t0;
    extractCount += passiveImgs.length + activeImgs.length + negativeImgs.length;
    const sp = top1(index, fp, nr, options.nprobe);
    const sa = top1(index, fa, nr, options.nprobe);
    const sn = top1(index, fn, negativeImgs.length, options.nprobe);
    const okP = Array.from({ length: nr }, (_, i) => samePhoto(sp.ids[i], i));
    const okA = Array.from({ length: nr }, (_, i) => samePhoto(sa.ids[i], i));
    tileExact.passive += countTrue(nr, (i) => sp.ids[i] === nd + i);
    tileExact.active += countTrue(nr, (i) => sa.ids[i] === nd + i);
    for (let i = 0; i < nr; i++) {
      passivePreds.push({ score: -sp.distances[i], correct: okP[i] });
      activePreds.push({ score: -sa.distances[i], correct: okA[i] });
    }
    for (let i = 0; i < negativeImgs.length; i++) {
      if (sn.ids[i] < 0) continue;
      const p = { score: -sn.distances[i], correct: false };
      passivePreds.push(p);
      activePreds.push(p);
    }
    const row = { name, passive_r1: recallAt1(okP), active_r1: recallAt1(okA) };
    rows.push(row);
    const ep = top1(exact, fp, nr, 1);
    const ea = top1(exact, fa, nr, 1);
    const diag = {
      name,
      exact_passive_r1: share((i) => samePhoto(ep.ids[i], i)),
      exact_active_r1: share((i) => samePhoto(ea.ids[i], i)),
      list_hit_passive: listHit(fp),
      list_hit_active: listHit(fa),
      transfer: transferShare(refFeatures, activatedFeatures, fp, fa, nr, d),
    };
    diagRows.push(diag);
    log(
      `${name.padEnd(14)} R@1 passive ${row.passive_r1.toFixed(3)}  activated ${row.active_r1.toFixed(3)}` +
        `  (exact search ${diag.exact_passive_r1.toFixed(3)} / ${diag.exact_active_r1.toFixed(3)}` +
        (diag.list_hit_passive === null
          ? ''
          : `; own list ${diag.list_hit_passive.toFixed(3)} / ${(diag.list_hit_active ?? 0).toFixed(3)}`) +
        `; change kept ${diag.transfer.toFixed(2)})`,
    );
  }

  const nq = nr * rows.length;
  log(
    `exact-tile R@1 (average): passive ${(tileExact.passive / nq).toFixed(3)}  activated ${(tileExact.active / nq).toFixed(3)}`,
  );
  const psnrStats = meanStd(psnrs);
  const avgOf = (pick: (r: EvalDiagnostics['transforms'][number]) => number | null) => {
    const values = diagRows.map(pick);
    return values.some((v) => v === null) ? null : meanStd(values as number[]).mean;
  };
  const diagnostics: EvalDiagnostics = {
    transforms: diagRows,
    avg: {
      exact_passive_r1: avgOf((r) => r.exact_passive_r1) ?? Number.NaN,
      exact_active_r1: avgOf((r) => r.exact_active_r1) ?? Number.NaN,
      list_hit_passive: avgOf((r) => r.list_hit_passive),
      list_hit_active: avgOf((r) => r.list_hit_active),
      transfer: avgOf((r) => r.transfer) ?? Number.NaN,
    },
  };
  const report: EvalReport = {
    factory: options.factory,
    nprobe: options.nprobe,
    n_database: nd + nr,
    n_activated: nr,
    transforms: rows,
    avg: {
      passive_r1: meanStd(rows.map((r) => r.passive_r1)).mean,
      active_r1: meanStd(rows.map((r) => r.active_r1)).mean,
    },
    muap: {
      passive: microAveragePrecision(passivePreds, nr * rows.length),
      active: microAveragePrecision(activePreds, nr * rows.length),
    },
    quality: {
      psnr_mean: psnrStats.mean,
      psnr_std: psnrStats.std,
      ssim_mean: meanStd(ssims).mean,
      linf_mean: meanStd(linfs).mean,
    },
    timing: {
      activate_ms_per_image: meanStd(activateMs).mean,
      // Query extraction only (preprocessing + network, batched), the cost a search pays.
      extract_ms_per_image: extractCount > 0 ? extractMs / extractCount : Number.NaN,
    },
  };
  return { report, diagnostics };
}

/** EvalDiagnostics.transfer: the mean projection of each transformed change on the activation's change. */
function transferShare(
  original: Float32Array,
  activated: Float32Array,
  passive: Float32Array,
  active: Float32Array,
  n: number,
  d: number,
): number {
  let sum = 0;
  let counted = 0;
  for (let i = 0; i < n; i++) {
    let num = 0;
    let den = 0;
    for (let j = i * d; j < (i + 1) * d; j++) {
      const change = activated[j] - original[j];
      num += (active[j] - passive[j]) * change;
      den += change * change;
    }
    if (den > 0) {
      sum += num / den;
      counted++;
    }
  }
  return counted > 0 ? sum / counted : Number.NaN;
}

/** Rows under the paper-style table: what exact search finds, and how often a query probes its own list. */
function diagnosticRows(d: EvalDiagnostics, f: (v: number) => string): string[] {
  const row = (label: string, pick: (t: EvalDiagnostics['transforms'][number]) => number | null, avg: number | null) =>
    `| ${label} | ${d.transforms.map((t) => f(pick(t) ?? Number.NaN)).join(' | ')} | ${f(avg ?? Number.NaN)} |`;
  const rows = [
    row('passive R@1, exact search', (t) => t.exact_passive_r1, d.avg.exact_passive_r1),
    row('activated R@1, exact search', (t) => t.exact_active_r1, d.avg.exact_active_r1),
    row('feature change kept', (t) => t.transfer, d.avg.transfer),
  ];
  if (d.avg.list_hit_passive !== null) {
    rows.push(
      row('passive: own list probed', (t) => t.list_hit_passive, d.avg.list_hit_passive),
      row('activated: own list probed', (t) => t.list_hit_active, d.avg.list_hit_active),
    );
  }
  return rows;
}

/** The paper-style table. */
export function reportMarkdown(r: EvalReport, context: string, diagnostics?: EvalDiagnostics): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  const lines = [
    `### ${r.factory}, nprobe ${r.nprobe}`,
    '',
    context,
    '',
    `Database ${r.n_database} vectors, ${r.n_activated} activated references.`,
    '',
    `| transform | ${r.transforms.map((t) => t.name).join(' | ')} | avg |`,
    `|---|${r.transforms.map(() => '---').join('|')}|---|`,
    `| passive R@1 | ${r.transforms.map((t) => f(t.passive_r1)).join(' | ')} | ${f(r.avg.passive_r1)} |`,
    `| activated R@1 | ${r.transforms.map((t) => f(t.active_r1)).join(' | ')} | ${f(r.avg.active_r1)} |`,
    ...(diagnostics ? diagnosticRows(diagnostics, f) : []),
    '',
    `muAP passive ${f(r.muap.passive)}, activated ${f(r.muap.active)}. ` +
      `PSNR ${r.quality.psnr_mean.toFixed(1)} +- ${r.quality.psnr_std.toFixed(1)} dB, SSIM ${r.quality.ssim_mean.toFixed(4)}, ` +
      `Linf ${r.quality.linf_mean.toFixed(1)}. ` +
      `Activation ${r.timing.activate_ms_per_image.toFixed(0)} ms/image, extraction ${r.timing.extract_ms_per_image.toFixed(1)} ms/image.`,
    '',
  ];
  return lines.join('\n');
}

/**
 * `npm run models`: builds public/models/extractor.onnx and public/models/extractor.json from the
 * MobileNetV2-1.4 graph model shipped in the nsfwjs npm package (see docs/models.md).
 *
 *   1. read nsfwjs' model.json + uint8-quantized weight shards (base64 inside UMD .min.js modules);
 *   2. convert the backbone to ONNX (NCHW, opset 17) up to the pooled 1792-d feature;
 *   3. fit the descriptor head (PCA to 512-d with partial whitening, chosen by scripts/models/select-head.ts)
 *      on backbone features of a fixed, sorted image set (distractors d000 + 5 tiles of every corpus photo),
 *      computed with onnxruntime-node (CPU, 2 threads, batch 16);
 *   4. append the head + L2 normalisation, serialise with src/core/onnx, write the model and its manifest.
 *
 * Options:
 *   --check        rebuild in memory and compare with the committed manifest's sha256 (exit 1 on mismatch)
 *   --out DIR      output directory (default public/models)
 *   --corpus DIR   image corpus (default $FINDABLE_CORPUS or ../shared/corpus next to the repository)
 * Deterministic: the same inputs give the same bytes (sorted file lists, float64 fixed-order maths,
 * sign-normalised eigenvectors, no timestamps). The backbone features come from onnxruntime's CPU kernels,
 * so a machine with a different SIMD instruction set may produce a model that differs in the last bits.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../src/core/image/types.ts';
import { FEATURE_DIM, GEM_P, INPUT_NAME, INPUT_SIZE, type Pooling } from './models/convert-mobilenet.ts';
import { buildExtractorModel, DESCRIPTOR_NAME, IR_VERSION, OPSET, serialize } from './models/extractor-graph.ts';
import { FeatureExtractor } from './models/features.ts';
import { fitPca, headFromPca, OUT_DIM } from './models/head-fit.ts';
import { decodeRgb, listJpegs, photoTiles, TILE_LONG_SIDE, TILES_PER_PHOTO } from './models/images.ts';
import { NSFWJS_MODEL_DIR, NSFWJS_PACKAGE, readNsfwjsModel } from './models/nsfwjs-reader.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The head chosen by scripts/models/select-head.ts (numbers in docs/models.md). */
export const HEAD = { pooling: 'gem' as Pooling, preL2: true, whiten: 1, outDim: OUT_DIM };
export const EXTRACTOR_ID = 'findable-mnv2-1.4-nsfwjs-gem-pca512';
export const EXTRACTOR_VERSION = '1.0.0';
/** Distractor folders used to fit the head (plus every corpus photo's tiles). */
export const FIT_DISTRACTOR_DIRS = ['distractors/d000'];

function log(msg: string): void {
  process.stderr.write(`[models] ${msg}\n`);
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function parseArgs(argv: string[]): { check: boolean; out: string; corpus: string } {
  let check = false;
  let out = join(ROOT, 'public/models');
  let corpus = process.env.FINDABLE_CORPUS ?? resolve(ROOT, '../shared/corpus');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') check = true;
    else if (a === '--out') out = resolve(argv[++i] ?? '');
    else if (a === '--corpus') corpus = resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${a}`);
  }
  return { check, out, corpus };
}

export interface BuildResult {
  bytes: Uint8Array;
  sha256: string;
  manifest: Record<string, unknown>;
}

export async function buildExtractor(corpus: string): Promise<BuildResult> {
  const t0 = Date.now();
  const nsfw = readNsfwjsModel();
  log(`read ${NSFWJS_PACKAGE}@${nsfw.packageVersion} ${NSFWJS_MODEL_DIR} (${nsfw.weights.size} weights)`);

  // Fit set, in a fixed order: sorted distractors, then sorted photos x tiles.
  const distractors = FIT_DISTRACTOR_DIRS.flatMap((d) => listJpegs(join(corpus, d)));
  const photos = listJpegs(join(corpus, 'photos'));
  if (distractors.length === 0 || photos.length === 0) throw new Error(`no images under ${corpus}`);
  const fitList = createHash('sha256');
  for (const f of [...distractors, ...photos]) {
    fitList.update(`${relative(corpus, f)}\t${sha256(readFileSync(f))}\n`);
  }
  const n = distractors.length + photos.length * TILES_PER_PHOTO;
  let memo: { photo: number; tiles: RgbImage[] } | undefined;
  const get = async (i: number): Promise<RgbImage> => {
    if (i < distractors.length) return decodeRgb(distractors[i]);
    const j = i - distractors.length;
    const p = Math.floor(j / TILES_PER_PHOTO);
    if (memo?.photo !== p) memo = { photo: p, tiles: await photoTiles(await decodeRgb(photos[p])) };
    return memo.tiles[j % TILES_PER_PHOTO];
  };
  const fx = await FeatureExtractor.create(nsfw);
  const t1 = Date.now();
  const feats = await fx.extract(n, get, (done) => {
    if (done % 256 === 0 || done === n) log(`features ${done}/${n} (${((Date.now() - t1) / done).toFixed(0)} ms/img)`);
  });
  await fx.release();
  const x = HEAD.pooling === 'avg' ? feats.avg : feats.gem;

  const t2 = Date.now();
  const fit = fitPca(x, n, FEATURE_DIM, HEAD.preL2, HEAD.outDim);
  const head = headFromPca(fit, HEAD.whiten, HEAD.outDim);
  let kept = 0;
  let total = 0;
  for (let k = 0; k < FEATURE_DIM; k++) {
    total += fit.values[k];
    if (k < HEAD.outDim) kept += fit.values[k];
  }
  log(
    `PCA on ${n} x ${FEATURE_DIM} in ${Date.now() - t2} ms; ${HEAD.outDim} components keep ${((100 * kept) / total).toFixed(1)}% of the variance`,
  );

  const headInfo = {
    pooling: HEAD.pooling === 'gem' ? `GeM p=${GEM_P}` : 'average',
    preL2: HEAD.preL2,
    pca: {
      inDim: FEATURE_DIM,
      outDim: HEAD.outDim,
      whitenPower: HEAD.whiten,
      varianceKept: +(kept / total).toFixed(4),
    },
    postL2: true,
    fitSet: {
      description: `${FIT_DISTRACTOR_DIRS.join(', ')} (${distractors.length} images) + ${TILES_PER_PHOTO} tiles (whole photo and its 4 quadrants, long side ${TILE_LONG_SIDE} px) of each of the ${photos.length} corpus photos`,
      images: n,
      filesSha256: fitList.digest('hex'),
    },
  };
  const metadata: Record<string, string> = {
    id: EXTRACTOR_ID,
    version: EXTRACTOR_VERSION,
    source: `${NSFWJS_PACKAGE}@${nsfw.packageVersion} ${NSFWJS_MODEL_DIR}`,
    input: `${INPUT_NAME}: float32 [N,3,${INPUT_SIZE},${INPUT_SIZE}] RGB in [0,1]`,
    output: `${DESCRIPTOR_NAME}: float32 [N,${HEAD.outDim}], unit L2 norm`,
    head: JSON.stringify({ pooling: HEAD.pooling, preL2: HEAD.preL2, whiten: HEAD.whiten, outDim: HEAD.outDim }),
  };
  const model = buildExtractorModel(nsfw, { pooling: HEAD.pooling }, head, metadata);
  const bytes = serialize(model);
  const digest = sha256(bytes);
  const manifest = {
    id: EXTRACTOR_ID,
    version: EXTRACTOR_VERSION,
    file: 'extractor.onnx',
    sha256: digest,
    bytes: bytes.length,
    format: { type: 'onnx', opset: OPSET, irVersion: IR_VERSION },
    input: {
      name: INPUT_NAME,
      dtype: 'float32',
      layout: 'NCHW',
      shape: ['batch', 3, INPUT_SIZE, INPUT_SIZE],
      colour: 'RGB, sRGB-encoded values as decoded (no linearisation)',
      range: [0, 1],
      normalisation: 'none outside the graph: pixel / 255. The graph maps x -> 2x - 1 itself (MobileNetV2 convention).',
      resize: `whole image, aspect ratio ignored, to ${INPUT_SIZE}x${INPUT_SIZE} with an antialiased filter (the head was fitted with sharp's triangle filter)`,
    },
    output: {
      name: DESCRIPTOR_NAME,
      dtype: 'float32',
      dim: HEAD.outDim,
      l2Normalized: true,
      similarity: 'inner product (= 1 - squared L2 distance / 2)',
    },
    backbone: {
      architecture: 'MobileNetV2, width multiplier 1.4, 224x224',
      pooledFeatureDim: FEATURE_DIM,
      weights:
        'ImageNet MobileNetV2-1.4 (TF-Hub) fine-tuned for 5-class NSFW classification by nsfw_model/nsfwjs; the 5-class head is dropped',
    },
    head: headInfo,
    licence: {
      model:
        'MIT: nsfwjs 4.4.0, node_modules/nsfwjs/LICENSE, "Copyright (c) 2019 Infinite Red, Inc." (covers the bundled model files)',
      training:
        'nsfwjs README: the model comes from GantMan/nsfw_model (MIT, "Copyright (c) 2020 The nsfw_model Developers"), whose training script fine-tunes TF-Hub google/imagenet/mobilenet_v2_140_224/classification/4 on an NSFW data set',
      upstreamWeights:
        'Apache-2.0: the MobileNetV2 ImageNet checkpoints (TensorFlow models / TF-Hub); not stated inside the nsfwjs package, keep the notice when redistributing',
      headFitData:
        'head fitted on the development corpus (../shared/corpus, see its CREDITS.md); the model stores a mean and 512 projection directions, no image content',
    },
    provenance: {
      package: NSFWJS_PACKAGE,
      packageVersion: nsfw.packageVersion,
      files: nsfw.files,
      converter: 'scripts/build-models.ts (scripts/models/*)',
      command: 'npm run models',
      runtime: 'onnxruntime-node (CPU, 2 threads) for the head-fitting features',
    },
  };
  log(`built ${bytes.length} bytes, sha256 ${digest} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { bytes, sha256: digest, manifest };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const result = await buildExtractor(args.corpus);
  const manifestPath = join(args.out, 'extractor.json');
  if (args.check) {
    if (!existsSync(manifestPath)) throw new Error(`${manifestPath} does not exist`);
    const committed = JSON.parse(readFileSync(manifestPath, 'utf8')) as { sha256: string };
    const onDisk = existsSync(join(args.out, 'extractor.onnx'))
      ? sha256(readFileSync(join(args.out, 'extractor.onnx')))
      : 'missing';
    log(`manifest ${committed.sha256}\nfile     ${onDisk}\nrebuilt  ${result.sha256}`);
    if (committed.sha256 !== result.sha256 || onDisk !== result.sha256) {
      log('MISMATCH: the rebuilt extractor differs from the committed one');
      process.exitCode = 1;
    } else log('OK: the rebuild is identical');
    return;
  }
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'extractor.onnx'), result.bytes);
  writeFileSync(manifestPath, `${JSON.stringify(result.manifest, null, 2)}\n`);
  log(`wrote ${join(args.out, 'extractor.onnx')} and ${basename(manifestPath)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}

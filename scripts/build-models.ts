/**
 * `npm run models`: builds public/models/extractor.onnx and public/models/extractor.json from the
 * MobileNetV2-1.4 graph model shipped in the nsfwjs npm package (see docs/models.md).
 *
 *   1. read nsfwjs' model.json + uint8-quantized weight shards (base64 inside UMD .min.js modules);
 *   2. convert the backbone to ONNX (NCHW, opset 17) up to the pooled 1792-d feature;
 *   3. fit the descriptor head (learned whitening to 512-d, chosen by measurement: docs/models.md) on backbone
 *      features of a fixed, sorted image set (distractors d000 + 5 tiles of every corpus photo) and of
 *      matching pairs (each d000 image and 5 seeded random edits of it, scripts/models/augment.ts), computed
 *      with onnxruntime-node (CPU, 2 threads, batch 16);
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
import { AUGMENTED_COPIES, augment } from './models/augment.ts';
import { FEATURE_DIM, GEM_P, INPUT_NAME, INPUT_SIZE, type Pooling } from './models/convert-mobilenet.ts';
import { buildExtractorModel, DESCRIPTOR_NAME, IR_VERSION, OPSET, serialize } from './models/extractor-graph.ts';
import { FeatureExtractor } from './models/features.ts';
import { fitLearnedWhitening, OUT_DIM } from './models/head-fit.ts';
import { decodeRgb, listJpegs, photoTiles, TILE_LONG_SIDE, TILES_PER_PHOTO } from './models/images.ts';
import { NSFWJS_MODEL_DIR, NSFWJS_PACKAGE, readNsfwjsModel } from './models/nsfwjs-reader.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The head chosen by measurement (docs/models.md): GeM, L2, learned whitening with a 0.3 ridge, 512-d. */
export const HEAD = { pooling: 'gem' as Pooling, preL2: true, whitening: 'learned', reg: 0.3, outDim: OUT_DIM };
export const EXTRACTOR_ID = 'findable-mnv2-1.4-nsfwjs-gem-lw512';
export const EXTRACTOR_VERSION = '2.0.0';
/** Seed of the k-th edited copy (k = 1..AUGMENTED_COPIES) of fit distractor i. */
const copySeed = (i: number, k: number) => i * 100 + k;
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
  // Features in this order: distractors, photo tiles (the fit set), then the edited copies of each distractor.
  const n = distractors.length + photos.length * TILES_PER_PHOTO;
  const pairs = distractors.length * AUGMENTED_COPIES;
  let memo: { photo: number; tiles: RgbImage[] } | undefined;
  let source: { i: number; image: RgbImage } | undefined;
  const get = async (i: number): Promise<RgbImage> => {
    if (i < distractors.length) return decodeRgb(distractors[i]);
    if (i >= n) {
      const c = i - n;
      const d = Math.floor(c / AUGMENTED_COPIES);
      if (source?.i !== d) source = { i: d, image: await decodeRgb(distractors[d]) };
      return augment(source.image, copySeed(d, 1 + (c % AUGMENTED_COPIES)));
    }
    const j = i - distractors.length;
    const p = Math.floor(j / TILES_PER_PHOTO);
    if (memo?.photo !== p) memo = { photo: p, tiles: await photoTiles(await decodeRgb(photos[p])) };
    return memo.tiles[j % TILES_PER_PHOTO];
  };
  const fx = await FeatureExtractor.create(nsfw);
  const t1 = Date.now();
  const total = n + pairs;
  const feats = await fx.extract(total, get, (done) => {
    if (done % 256 === 0 || done === total)
      log(`features ${done}/${total} (${((Date.now() - t1) / done).toFixed(0)} ms/img)`);
  });
  await fx.release();
  const x = HEAD.pooling === 'avg' ? feats.avg : feats.gem;

  const t2 = Date.now();
  const d = FEATURE_DIM;
  // Pairs: distractor i (row i) and each of its edited copies (rows n + i * AUGMENTED_COPIES + k).
  const a = new Float32Array(pairs * d);
  const b = new Float32Array(pairs * d);
  for (let p = 0; p < pairs; p++) {
    a.set(x.subarray(Math.floor(p / AUGMENTED_COPIES) * d, (Math.floor(p / AUGMENTED_COPIES) + 1) * d), p * d);
    b.set(x.subarray((n + p) * d, (n + p + 1) * d), p * d);
  }
  const { head, snr } = fitLearnedWhitening({
    x: x.subarray(0, n * d),
    n,
    a,
    b,
    pairs,
    d,
    preL2: HEAD.preL2,
    reg: HEAD.reg,
    outDim: HEAD.outDim,
  });
  log(
    `learned whitening on ${n} images and ${pairs} pairs in ${Date.now() - t2} ms; signal-to-noise ${snr[0].toFixed(2)} (first) to ${snr[HEAD.outDim - 1].toFixed(3)} (last kept)`,
  );

  const headInfo = {
    pooling: HEAD.pooling === 'gem' ? `GeM p=${GEM_P}` : 'average',
    preL2: HEAD.preL2,
    learnedWhitening: {
      inDim: FEATURE_DIM,
      outDim: HEAD.outDim,
      ridge: HEAD.reg,
      pairs,
      pairEdits: `${AUGMENTED_COPIES} copies of each ${FIT_DISTRACTOR_DIRS.join(', ')} image under 1-3 seeded random edits (scripts/models/augment.ts)`,
      snrFirst: +snr[0].toFixed(4),
      snrLast: +snr[HEAD.outDim - 1].toFixed(4),
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
    head: JSON.stringify({
      pooling: HEAD.pooling,
      preL2: HEAD.preL2,
      whitening: HEAD.whitening,
      reg: HEAD.reg,
      outDim: HEAD.outDim,
    }),
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

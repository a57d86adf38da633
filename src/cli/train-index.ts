/**
 * `findable train-index`: features of a folder of images (shipped extractor, onnxruntime-node, batched)
 * or of a .npy file -> a trained quantizer -> the codebook JSON the browser pulls (and optionally the
 * trained, empty index as a faiss file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { extractFeatures } from '../core/activation/extract.ts';
import { loadNodeRuntime } from '../core/activation/runtime.node.ts';
import { codebookFromFaiss } from '../core/codebook/from-faiss.ts';
import { serializeCodebookString } from '../core/codebook/serialize.ts';
import { FindableError, isFindableError, throwIfAborted } from '../core/errors.ts';
import { FeatureCache } from '../core/eval/feature-cache.node.ts';
import { indexToFaiss } from '../core/faiss/from-quantizer.ts';
import { writeFaissIndex } from '../core/faiss/write-index.ts';
import { gridTiles } from '../core/image/crop.ts';
import { decodeImage } from '../core/image/decode.node.ts';
import { readImageHeader } from '../core/image/decode.ts';
import type { RgbImage } from '../core/image/types.ts';
import { indexFactory } from '../core/index/factory.ts';
import type { VectorIndex } from '../core/index/types.ts';
import { readNpy } from '../core/io/npy.ts';
import { collectImageFiles } from './inputs.ts';
import { createProgress } from './progress.ts';

export interface TrainIndexOptions {
  images?: string[];
  features?: string;
  factory: string;
  out: string;
  faiss?: string;
  /**
   * Also use the grid x grid tiles of each image whose tiles are at least the extractor's input size
   * (large photos: tiles add training variety; small images are used whole only).
   */
  grid: number;
  threads?: number;
  /** Feature cache folder shared with `findable eval` (default .cache/findable). */
  cache?: string;
}

export async function runTrainIndex(options: TrainIndexOptions, signal?: AbortSignal): Promise<VectorIndex> {
  const runtime = await loadNodeRuntime({ threads: options.threads, withStepGraph: false });
  try {
    let x: Float32Array;
    let n: number;
    if (options.features) {
      const m = readNpy(new Uint8Array(readFileSync(options.features)));
      if (m.cols !== runtime.dim) {
        throw new FindableError(
          'SHAPE_MISMATCH',
          `${options.features} holds ${m.cols}-d features; the shipped extractor makes ${runtime.dim}-d ones.`,
        );
      }
      x = m.data;
      n = m.rows;
    } else {
      const files = collectImageFiles(options.images ?? []);
      if (files.length === 0)
        throw new FindableError('IO', 'No images to train on: give --images DIR... or --features FILE.npy.');
      const cache = new FeatureCache(options.cache ?? '.cache/findable', runtime.manifest.sha256, runtime.dim);
      // Cache keys of every vector, in file order: the training matrix is assembled in this order so
      // that a run with a warm cache trains exactly the same index as a cold one.
      const order: string[] = [];
      let failed = 0;
      let cached = 0;
      const progress = createProgress(files.length, 'extracting');
      // Pending images to extract, with the cache keys their features are stored under.
      const batch: { image: RgbImage; key: string }[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const items = batch.splice(0);
        const f = await extractFeatures(
          runtime,
          items.map((b) => b.image),
          { signal },
        );
        for (const [k, b] of items.entries()) cache.set(b.key, f.slice(k * runtime.dim, (k + 1) * runtime.dim));
      };
      try {
        for (let i = 0; i < files.length; i++) {
          throwIfAborted(signal);
          // Tiles only where they are at least the extractor's input size (smaller ones would be upsampled).
          let tiles = 0;
          let bytes: Uint8Array | undefined;
          try {
            bytes = new Uint8Array(readFileSync(files[i]));
            const header = readImageHeader(bytes);
            const side = Math.min(header.width, header.height) / options.grid;
            tiles = options.grid > 1 && side >= runtime.size ? options.grid ** 2 : 0;
          } catch {
            // Unreadable headers are reported by the decoder below.
          }
          const keys = [
            cache.key(files[i]),
            ...Array.from({ length: tiles }, (_, k) => cache.key(files[i], `grid${options.grid}:${k}`)),
          ];
          const hits = keys.map((k) => cache.get(k));
          if (hits.every((h) => h !== undefined)) {
            order.push(...keys);
            cached++;
          } else {
            try {
              const img = await decodeImage(bytes ?? new Uint8Array(readFileSync(files[i])), { signal });
              const images = [img, ...(tiles > 0 ? gridTiles(img, options.grid) : [])];
              for (const [k, image] of images.entries()) batch.push({ image, key: keys[k] });
              order.push(...keys);
            } catch (error) {
              if (isFindableError(error, 'ABORTED')) throw error;
              failed++;
              progress.log(`skipped ${files[i]}: ${error instanceof Error ? error.message : String(error)}`);
            }
            if (batch.length >= 32) await flush();
          }
          progress.update(i + 1, '');
        }
        await flush();
      } finally {
        progress.stop();
        cache.save();
      }
      n = order.length;
      x = new Float32Array(n * runtime.dim);
      for (const [i, key] of order.entries()) x.set(cache.get(key) as Float32Array, i * runtime.dim);
      process.stderr.write(
        `${n} training vectors from ${files.length - failed} images (${cached} from the cache, ${failed} skipped)\n`,
      );
    }
    const index = indexFactory(runtime.dim, options.factory);
    const t0 = performance.now();
    index.train(x, n, { signal, onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
    process.stderr.write(
      `trained ${options.factory} on ${n} vectors in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    const faiss = indexToFaiss(index);
    const parts = codebookFromFaiss(faiss, {
      extractor: { id: runtime.manifest.id, sha256: runtime.manifest.sha256 },
      factory: options.factory,
    });
    writeFileSync(options.out, serializeCodebookString(parts));
    process.stderr.write(`wrote ${options.out}\n`);
    if (options.faiss) {
      writeFileSync(options.faiss, writeFaissIndex(faiss));
      process.stderr.write(`wrote ${options.faiss} (trained, empty; faiss.read_index reads it)\n`);
    }
    return index;
  } finally {
    await runtime.release();
  }
}

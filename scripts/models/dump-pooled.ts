/**
 * Whitening selection, step 1 (run by hand: `node bin/run-ts.mjs scripts/models/dump-pooled.ts pairs|tiles|db`):
 * dumps L2-ready GeM-pooled backbone features (1792-d float32, raw) to .cache/models/whitening/ for
 * scripts/models/select-whitening.py. pairs = each d000 distractor and 5 edited copies (scripts/models/augment.ts,
 * the same seeds as scripts/build-models.ts); tiles = the 2 x 2 tiles (512 px) of every corpus photo under each
 * evaluation transformation; db = distractors d001-d008.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { photoTiles } from '../../src/core/eval/protocol.node.ts';
import { applyTransform, TRANSFORM_NAMES } from '../../src/core/eval/transforms.node.ts';
import type { RgbImage } from '../../src/core/image/types.ts';
import { AUGMENTED_COPIES, augment } from './augment.ts';
import { FeatureExtractor } from './features.ts';
import { decodeRgb, listJpegs } from './images.ts';
import { readNsfwjsModel } from './nsfwjs-reader.ts';

const corpus = resolve('../shared/corpus');
const out = resolve('.cache/models/whitening');
mkdirSync(out, { recursive: true });
const what = process.argv[2];
const nsfw = readNsfwjsModel();
const fx = await FeatureExtractor.create(nsfw);
async function run(name: string, n: number, get: (i: number) => Promise<RgbImage>, meta: unknown) {
  const t0 = Date.now();
  const f = await fx.extract(n, get, (d) => {
    if (d % 512 === 0 || d === n)
      process.stderr.write(`${name} ${d}/${n} ${((Date.now() - t0) / d).toFixed(0)} ms/img\n`);
  });
  writeFileSync(join(out, `${name}.f32`), Buffer.from(f.gem.buffer));
  writeFileSync(join(out, `${name}.json`), JSON.stringify({ n, meta }));
}

if (what === 'pairs') {
  const files = listJpegs(join(corpus, 'distractors/d000'));
  const K = AUGMENTED_COPIES;
  const cache = new Map<number, RgbImage>();
  await run(
    'pairs',
    files.length * (K + 1),
    async (i) => {
      const f = Math.floor(i / (K + 1));
      const k = i % (K + 1);
      if (!cache.has(f)) {
        cache.clear();
        cache.set(f, await decodeRgb(files[f]));
      }
      const img = cache.get(f)!;
      return k === 0 ? img : augment(img, f * 100 + k); // seeds as in scripts/build-models.ts
    },
    { K, files: files.map((f) => basename(f)) },
  );
} else if (what === 'db') {
  const files = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((d) => listJpegs(join(corpus, `distractors/d00${d}`)));
  await run('db', files.length, (i) => decodeRgb(files[i]), { files: files.map((f) => basename(f)) });
} else if (what === 'tiles') {
  const photos = readdirSync(join(corpus, 'photos'))
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort();
  const tiles = (await Promise.all(photos.map((p) => photoTiles(join(corpus, 'photos', p), 512)))).flat();
  const T = TRANSFORM_NAMES;
  await run(
    'tiles',
    tiles.length * T.length,
    async (i) => {
      const t = Math.floor(i / T.length);
      return applyTransform(T[i % T.length], tiles[t].image, t * 31 + (i % T.length));
    },
    { photos, tiles: tiles.map((t) => ({ photo: t.photo, index: t.index })), transforms: T },
  );
}
await fx.release();
